-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-describe-data

-- case: describe_data
-- adapted: `myproject.mydataset.mytable` without the project
-- columns: name, num_rows, num_nulls, num_zeros, min, max, mean, stdev, median, quantiles, unique, avg_string_length, num_values, top_values, min_array_length, max_array_length, avg_array_length, total_array_length, array_length_quantiles, dimension
SELECT *
FROM ML.DESCRIBE_DATA(
  TABLE `mydataset.mytable`,
  STRUCT(5 AS num_quantiles, 3 AS top_k)
);

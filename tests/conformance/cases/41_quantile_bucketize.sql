-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-quantile-bucketize

-- case: quantile_bucketize
-- columns: f, bucket
SELECT f, ML.QUANTILE_BUCKETIZE(f, 3) OVER() AS bucket
FROM UNNEST([1,2,3,4,5]) AS f;

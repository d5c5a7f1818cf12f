-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-min-max-scaler

-- case: min_max_scaler
-- columns: f, output
SELECT f, ML.MIN_MAX_SCALER(f) OVER() AS output
FROM UNNEST([1,2,3,4,5]) AS f;

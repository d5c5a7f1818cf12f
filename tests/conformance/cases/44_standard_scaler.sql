-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-standard-scaler

-- case: standard_scaler
-- columns: f, output
SELECT f, ML.STANDARD_SCALER(f) OVER() AS output
FROM UNNEST([1,2,3,4,5]) AS f;

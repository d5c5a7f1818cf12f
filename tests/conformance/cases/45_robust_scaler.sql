-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-robust-scaler

-- case: robust_scaler
-- columns: f, output
SELECT f, ML.ROBUST_SCALER(f) OVER () AS output
FROM
  UNNEST([NULL, -3, 1, 2, 3, 4, 5]) AS f
ORDER BY f;

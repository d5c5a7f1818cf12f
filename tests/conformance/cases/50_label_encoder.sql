-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-label-encoder

-- case: label_encoder
-- columns: f, output
-- equals: output = 0
SELECT f, ML.LABEL_ENCODER(f, 2, 2) OVER () AS output
FROM UNNEST([NULL, 'a', 'b', 'b', 'c', 'c', 'c', 'd', 'd']) AS f
ORDER BY f;

-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-normalizer

-- case: normalizer
-- columns: output
-- equals: output = [0.8, 0.2, 0.4, 0.4, 0.0]
SELECT ML.NORMALIZER([4.0, 1.0, 2.0, 2.0, 0.0]) AS output;

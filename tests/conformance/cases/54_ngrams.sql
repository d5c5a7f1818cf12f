-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-ngrams

-- case: ngrams
-- columns: output
-- equals: output = ['a#b', 'a#b#c', 'b#c']
SELECT ML.NGRAMS(['a', 'b', 'c'], [2,3], '#') AS output;

-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-imputer

-- case: imputer_mean
-- columns: f, output
-- equals: output = 0.75
SELECT f, ML.IMPUTER(f, 'mean') OVER () AS output
FROM
  UNNEST([NULL, -3, -3, -3, 1, 2, 3, 4, 5]) AS f
ORDER BY f;

-- case: imputer_most_frequent
-- columns: f, output
-- equals: output = c
SELECT f, ML.IMPUTER(f, 'most_frequent') OVER () AS output
FROM
  UNNEST([NULL, NULL, NULL, NULL, 'a', 'a', 'b', 'b', 'c', 'c', 'c']) AS f
ORDER BY f;

-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-bag-of-words

-- case: bag_of_words
-- columns: results
WITH ExampleTable AS (
  SELECT 1 AS id, ['a', 'b', 'b', 'c'] AS f
  UNION ALL
  SELECT 2 AS id, ['a', 'c'] AS f
)

SELECT ML.BAG_OF_WORDS(f, 32, 1) OVER() AS results
FROM ExampleTable
ORDER BY id;

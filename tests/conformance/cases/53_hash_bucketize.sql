-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-hash-bucketize

-- case: hash_bucketize
-- columns: f, bucket
-- equals: f = a
-- equals: bucket = 0
SELECT
  f, ML.HASH_BUCKETIZE(f, 3) AS bucket
FROM UNNEST(['a', 'b', 'c', 'd']) AS f;

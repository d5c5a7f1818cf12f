-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/hash_functions
-- GoogleSQL in the query part: FARM_FINGERPRINT, CONCAT, CAST(... AS STRING), double-quoted strings

-- case: farm_fingerprint
-- columns: x, y, z, row_fingerprint
-- equals: row_fingerprint = -1541654101129638711
WITH example AS (
  SELECT 1 AS x, "foo" AS y, true AS z UNION ALL
  SELECT 2 AS x, "apple" AS y, false AS z UNION ALL
  SELECT 3 AS x, "" AS y, true AS z
)
SELECT
  *,
  FARM_FINGERPRINT(CONCAT(CAST(x AS STRING), y, CAST(z AS STRING)))
    AS row_fingerprint
FROM example;

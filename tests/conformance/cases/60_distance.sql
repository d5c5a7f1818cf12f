-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-distance
-- adapted (every case): the stored copy of this page did not show its example; these statements follow the
-- ML.LP_NORM page's example (same vectors, table renamed mydataset.distance_t1) with ML.DISTANCE's documented signature

-- case: create_table
-- columns: none
CREATE TABLE mydataset.distance_t1
(
  v1 ARRAY<FLOAT64>,
  v2 ARRAY<FLOAT64>
);

-- case: insert
-- columns: none
INSERT mydataset.distance_t1 (v1,v2)
VALUES ([4.1,0.5,1.0], [3.0,0.0,2.5]);

-- case: euclidean
-- columns: v1, v2, output
-- equals: output = 1.926136028
SELECT v1, v2, ML.DISTANCE(v1, v2, 'EUCLIDEAN') AS output
FROM mydataset.distance_t1;

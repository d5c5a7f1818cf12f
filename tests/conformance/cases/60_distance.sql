-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-distance
-- adapted (every case): the page's table `mydataset.t1` -> `mydataset.distance_t1` (ML.LP_NORM's page creates a
-- `mydataset.t1` of its own)

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
-- equals: output = 1.926136028425822
SELECT v1, v2, ML.DISTANCE(v1, v2, 'EUCLIDEAN') AS output
FROM mydataset.distance_t1;

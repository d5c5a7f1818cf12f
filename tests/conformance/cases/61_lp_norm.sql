-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-lp-norm

-- case: create_table
-- columns: none
CREATE TABLE mydataset.t1
(
  v1 ARRAY<FLOAT64>,
  v2 ARRAY<FLOAT64>
);

-- case: insert
-- columns: none
INSERT mydataset.t1 (v1,v2)
VALUES ([4.1,0.5,1.0], [3.0,0.0,2.5]);

-- case: euclidean_norm
-- columns: v1, v1_norm, v2, v2_norm
-- equals: v1_norm = 4.249705872
-- equals: v2_norm = 3.905124838
SELECT v1, ML.LP_NORM(v1, 2.0) AS v1_norm, v2, ML.LP_NORM(v2, 2.0) AS v2_norm
FROM mydataset.t1;

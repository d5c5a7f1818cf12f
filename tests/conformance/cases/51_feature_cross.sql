-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-feature-cross

-- case: feature_cross
-- columns: output
-- equals: output = {'f1_f2': 'a_b', 'f1_f3': 'a_c', 'f2_f3': 'b_c'}
SELECT ML.FEATURE_CROSS(STRUCT('a' AS f1, 'b' AS f2, 'c' AS f3)) AS output;

-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-generate-embedding
-- The page's matrix factorization example (its other examples call remote models, refused: docs/bigquery.md).
-- adapted (every case): `movielens.movielens_1m` is a stand-in of 2,000 ratings (tests/conformance/datasets.py)

-- case: create_model
-- columns: none
CREATE OR REPLACE MODEL
  `mydataset.my_mf_model`
OPTIONS (
  model_type='matrix_factorization',
  user_col='user_id',
  item_col='item_id',
  l2_reg=9.83,
  num_factors=34)
AS SELECT
  user_id,
  item_id,
  AVG(rating) as rating
FROM
  movielens.movielens_1m
GROUP BY user_id, item_id;

-- case: generate_embedding
-- columns: ml_generate_embedding_result, processed_input, feature
-- types: ARRAY<FLOAT64>, STRING, STRING
-- rows: 150
-- holds: bool_and(len(ml_generate_embedding_result) = 35)
-- holds: count(*) FILTER (processed_input = 'user_id') = 100 AND count(*) FILTER (processed_input = 'item_id') = 50
SELECT
  *
FROM
  ML.GENERATE_EMBEDDING(MODEL `mydataset.my_mf_model`)

-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-create-random-forest
-- adapted (every case): `project_id.mydataset.mytable` -> `mydataset.mytable` (the local placeholder table)

-- case: classifier
-- columns: none
-- adapted: model name `project_id.mydataset.mymodel` -> `mydataset.random_forest_classifier`
CREATE MODEL `mydataset.random_forest_classifier`
  OPTIONS(MODEL_TYPE='RANDOM_FOREST_CLASSIFIER',
          NUM_PARALLEL_TREE = 50,
          MAX_TREE_DEPTH = 10,
          TREE_METHOD = 'HIST',
          SUBSAMPLE = 0.85,
          INPUT_LABEL_COLS = ['mylabel'])
  AS SELECT * FROM `mydataset.mytable`;

-- case: regressor
-- columns: none
-- adapted: the page's example as a RANDOM_FOREST_REGRESSOR with COLSAMPLE_BYTREE and L2_REG of its syntax, label `label`
CREATE MODEL `mydataset.random_forest_regressor`
  OPTIONS(MODEL_TYPE='RANDOM_FOREST_REGRESSOR',
          NUM_PARALLEL_TREE = 50,
          MAX_TREE_DEPTH = 10,
          TREE_METHOD = 'HIST',
          COLSAMPLE_BYTREE = 0.8,
          L2_REG = 1.0,
          SUBSAMPLE = 0.85,
          INPUT_LABEL_COLS = ['label'])
  AS SELECT * EXCEPT(mylabel) FROM `mydataset.mytable`;

-- case: feature_importance
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-importance
-- columns: feature, importance_weight, importance_gain, importance_cover
-- adapted: model name `mydataset.mymodel` -> `mydataset.random_forest_classifier`
SELECT
  *
FROM
  ML.FEATURE_IMPORTANCE(MODEL `mydataset.random_forest_classifier`);

-- case: evaluate_regressor
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-evaluate
-- columns: mean_absolute_error, mean_squared_error, mean_squared_log_error, median_absolute_error, r2_score, explained_variance
SELECT
  *
FROM
  ML.EVALUATE(MODEL `mydataset.random_forest_regressor`);

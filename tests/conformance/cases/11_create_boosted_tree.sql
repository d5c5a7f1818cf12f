-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-create-boosted-tree
-- The page's example as transcribed (the stored copies did not show it; the boosted tree tutorial uses the same options).
-- adapted (every case): `project_id.mydataset.mytable` -> `mydataset.mytable` (the local placeholder table)

-- case: classifier
-- columns: none
-- adapted: model name `project_id.mydataset.mymodel` -> `mydataset.boosted_tree_classifier`
CREATE MODEL `mydataset.boosted_tree_classifier`
  OPTIONS(MODEL_TYPE='BOOSTED_TREE_CLASSIFIER',
          BOOSTER_TYPE = 'GBTREE',
          NUM_PARALLEL_TREE = 1,
          MAX_ITERATIONS = 50,
          TREE_METHOD = 'HIST',
          EARLY_STOP = FALSE,
          SUBSAMPLE = 0.85,
          INPUT_LABEL_COLS = ['mylabel'])
  AS SELECT * FROM `mydataset.mytable`;

-- case: regressor_dart
-- columns: none
-- adapted: the page's example as a BOOSTED_TREE_REGRESSOR with the DART booster of its syntax (BOOSTER_TYPE, DART_NORMALIZE_TYPE, COLSAMPLE_BYLEVEL), label `label`
CREATE MODEL `mydataset.boosted_tree_regressor`
  OPTIONS(MODEL_TYPE='BOOSTED_TREE_REGRESSOR',
          BOOSTER_TYPE = 'DART',
          DART_NORMALIZE_TYPE = 'TREE',
          NUM_PARALLEL_TREE = 1,
          MAX_ITERATIONS = 50,
          TREE_METHOD = 'HIST',
          COLSAMPLE_BYLEVEL = 0.8,
          EARLY_STOP = FALSE,
          SUBSAMPLE = 0.85,
          INPUT_LABEL_COLS = ['label'])
  AS SELECT * EXCEPT(mylabel) FROM `mydataset.mytable`;

-- case: predict_classifier
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-predict
-- columns: predicted_mylabel, predicted_mylabel_probs, label, custom_label, column1, column2, column3, column4, column5, input_column1, input_column2, input_col, mylabel, features, f1, f2, f3, split_col, timestamp, init_col
SELECT
  *
FROM
  ML.PREDICT(MODEL `mydataset.boosted_tree_classifier`,
    TABLE `mydataset.mytable`);

-- case: evaluate_regressor
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-evaluate
-- columns: mean_absolute_error, mean_squared_error, mean_squared_log_error, median_absolute_error, r2_score, explained_variance
SELECT
  *
FROM
  ML.EVALUATE(MODEL `mydataset.boosted_tree_regressor`,
    TABLE `mydataset.mytable`);

-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-create-random-forest
-- adapted (every case): `project_id.mydataset.mytable` -> `mydataset.mytable` (the local placeholder table)

-- case: classifier
-- columns: none
-- adapted: model name `project_id.mydataset.mymodel` -> `mydataset.random_forest_classifier`
CREATE MODEL `mydataset.random_forest_classifier`
OPTIONS(MODEL_TYPE='RANDOM_FOREST_CLASSIFIER',
        NUM_PARALLEL_TREE = 50,
        TREE_METHOD = 'HIST',
        EARLY_STOP = FALSE,
        SUBSAMPLE = 0.85,
        INPUT_LABEL_COLS = ['mylabel'])
AS SELECT * FROM `mydataset.mytable`;

-- case: regressor
-- columns: none
-- adapted: the page's example as a RANDOM_FOREST_REGRESSOR (the page's syntax; its example is the classifier), label `features`
CREATE MODEL `mydataset.random_forest_regressor`
OPTIONS(MODEL_TYPE='RANDOM_FOREST_REGRESSOR',
        NUM_PARALLEL_TREE = 50,
        TREE_METHOD = 'HIST',
        EARLY_STOP = FALSE,
        SUBSAMPLE = 0.85,
        INPUT_LABEL_COLS = ['features'])
AS SELECT * EXCEPT(mylabel) FROM `mydataset.mytable`;

-- case: evaluate_regressor
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-evaluate
-- columns: mean_absolute_error, mean_squared_error, mean_squared_log_error, median_absolute_error, r2_score, explained_variance
SELECT
  *
FROM
  ML.EVALUATE(MODEL `mydataset.random_forest_regressor`);

-- case: predict_classifier
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-predict
-- columns: predicted_mylabel, predicted_mylabel_probs, label, custom_label, column1, column2, column3, column4, column5, input_column1, input_column2, input_col, mylabel, features, f1, f2, f3, split_col, timestamp, init_col
SELECT
  *
FROM
  ML.PREDICT(MODEL `mydataset.random_forest_classifier`,
    TABLE `mydataset.mytable`);

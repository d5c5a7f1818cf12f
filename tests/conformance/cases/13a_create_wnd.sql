-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-create-wnd-models
-- adapted (every case): `project_id.mydataset.mytable` -> `mydataset.mytable` (the local placeholder table)

-- case: classifier_adagrad
-- columns: none
-- adapted: model name `project_id.mydataset.mymodel` -> `mydataset.wnd_classifier`
CREATE MODEL `mydataset.wnd_classifier`
OPTIONS(MODEL_TYPE='DNN_LINEAR_COMBINED_CLASSIFIER',
        ACTIVATION_FN = 'RELU',
        BATCH_SIZE = 16,
        DROPOUT = 0.1,
        EARLY_STOP = FALSE,
        HIDDEN_UNITS = [128, 128, 128],
        INPUT_LABEL_COLS = ['mylabel'],
        LEARN_RATE=0.001,
        MAX_ITERATIONS = 50,
        OPTIMIZER = 'ADAGRAD')
AS SELECT * FROM `mydataset.mytable`;

-- case: regressor_per_part
-- columns: none
-- adapted: the page's example as a DNN_LINEAR_COMBINED_REGRESSOR (label `label`) with the syntax's per-part LEARN_RATE and OPTIMIZER examples
CREATE MODEL `mydataset.wnd_regressor`
OPTIONS(MODEL_TYPE='DNN_LINEAR_COMBINED_REGRESSOR',
        HIDDEN_UNITS = [16, 8],
        INPUT_LABEL_COLS = ['label'],
        LEARN_RATE = [STRUCT('dnn', 0.001), STRUCT('linear', 0.01)],
        OPTIMIZER = [STRUCT('dnn', 'ADAGRAD'), STRUCT('linear', 'SGD')],
        L1_REG = 0.01,
        L2_REG = 0.01)
AS SELECT * EXCEPT(mylabel) FROM `mydataset.mytable`;

-- case: classifier_tuned
-- columns: none
-- adapted: the page's HIDDEN_UNITS candidates and its DROPOUT and BATCH_SIZE ranges, with NUM_TRIALS (its Hyperparameter tuning section)
CREATE MODEL `mydataset.wnd_tuned`
OPTIONS(MODEL_TYPE='DNN_LINEAR_COMBINED_CLASSIFIER',
        INPUT_LABEL_COLS = ['mylabel'],
        NUM_TRIALS = 3,
        MAX_ITERATIONS = 5,
        hidden_units=hparam_candidates([struct([8]), struct([8, 16]), struct([16, 32, 64])]),
        DROPOUT = HPARAM_RANGE(0, 0.6),
        BATCH_SIZE = HPARAM_CANDIDATES([32, 64, 256, 1024]))
AS SELECT * FROM `mydataset.mytable`;

-- case: trial_info
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-trial-info
-- columns: trial_id, hyperparameters, hparam_tuning_evaluation_metrics, training_loss, eval_loss, status, error_message, is_optimal
-- rows: 3
SELECT * FROM ML.TRIAL_INFO(MODEL `mydataset.wnd_tuned`);

-- case: predict_classifier
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-predict
-- columns: predicted_mylabel, predicted_mylabel_probs, label, custom_label, column1, column2, column3, column4, column5, input_column1, input_column2, input_col, mylabel, features, f1, f2, f3, split_col, timestamp, init_col
SELECT
  *
FROM
  ML.PREDICT(MODEL `mydataset.wnd_classifier`,
    TABLE `mydataset.mytable`);

-- case: evaluate_regressor
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-evaluate
-- columns: mean_absolute_error, mean_squared_error, mean_squared_log_error, median_absolute_error, r2_score, explained_variance
-- rows: 1
SELECT
  *
FROM
  ML.EVALUATE(MODEL `mydataset.wnd_regressor`,
    TABLE `mydataset.mytable`);

-- case: explain_predict_regressor
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-explain-predict
-- holds: bool_and(abs(baseline_prediction_value + list_sum(list_transform(top_feature_attributions, e -> e.attribution)) - prediction_value) < 1e-6)
SELECT
  *
FROM
  ML.EXPLAIN_PREDICT(MODEL `mydataset.wnd_regressor`,
    TABLE `mydataset.mytable`,
    STRUCT(20 AS top_k_features));

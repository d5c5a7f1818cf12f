-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-create-dnn-models
-- The page's example as transcribed (the stored copies did not show it; the Wide-and-Deep page's example has the same options).
-- adapted (every case): `project_id.mydataset.mytable` -> `mydataset.mytable` (the local placeholder table)

-- case: classifier_adagrad
-- columns: none
-- adapted: model name `project_id.mydataset.mymodel` -> `mydataset.dnn_classifier`
CREATE MODEL `mydataset.dnn_classifier`
OPTIONS(MODEL_TYPE='DNN_CLASSIFIER',
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

-- case: regressor_rmsprop
-- columns: none
-- adapted: the page's example as a DNN_REGRESSOR with the RMSPROP optimizer of its syntax, label `label`
CREATE MODEL `mydataset.dnn_regressor`
OPTIONS(MODEL_TYPE='DNN_REGRESSOR',
        ACTIVATION_FN = 'RELU',
        BATCH_SIZE = 16,
        DROPOUT = 0.1,
        EARLY_STOP = FALSE,
        HIDDEN_UNITS = [128, 128, 128],
        INPUT_LABEL_COLS = ['label'],
        LEARN_RATE=0.001,
        MAX_ITERATIONS = 50,
        OPTIMIZER = 'RMSPROP')
AS SELECT * EXCEPT(mylabel) FROM `mydataset.mytable`;

-- case: regressor_ftrl
-- columns: none
-- adapted: the page's example as a DNN_REGRESSOR with the FTRL optimizer of its syntax, label `label`
CREATE OR REPLACE MODEL `mydataset.dnn_regressor`
OPTIONS(MODEL_TYPE='DNN_REGRESSOR',
        ACTIVATION_FN = 'RELU',
        BATCH_SIZE = 16,
        DROPOUT = 0.1,
        EARLY_STOP = FALSE,
        HIDDEN_UNITS = [128, 128, 128],
        INPUT_LABEL_COLS = ['label'],
        LEARN_RATE=0.001,
        MAX_ITERATIONS = 50,
        OPTIMIZER = 'FTRL')
AS SELECT * EXCEPT(mylabel) FROM `mydataset.mytable`;

-- case: predict_classifier
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-predict
-- columns: predicted_mylabel, predicted_mylabel_probs, label, custom_label, column1, column2, column3, column4, column5, input_column1, input_column2, input_col, mylabel, features, f1, f2, f3, split_col, timestamp, init_col
SELECT
  *
FROM
  ML.PREDICT(MODEL `mydataset.dnn_classifier`,
    TABLE `mydataset.mytable`);

-- case: training_info
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-train
-- columns: training_run, iteration, loss, eval_loss, learning_rate, duration_ms
SELECT
  *
FROM
  ML.TRAINING_INFO(MODEL `mydataset.dnn_regressor`);

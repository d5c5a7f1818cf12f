-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-hyperparameter-tuning
-- adapted (every case): `mydataset.mytable` is the local placeholder table; NUM_TRIALS 20 -> 4 (test time)

-- case: linear_reg_tuned
-- columns: none
-- adapted: model name `mydataset.mymodel` -> `mydataset.tuned_linear`
CREATE MODEL `mydataset.tuned_linear`
OPTIONS
  (MODEL_TYPE = 'LINEAR_REG',
   NUM_TRIALS = 4,
   MAX_PARALLEL_TRIALS = 2,
   L1_REG = HPARAM_RANGE(0, 5),
   L2_REG = HPARAM_CANDIDATES([0, 1.0, 3.0, 5.0])) AS
SELECT column1, column2, column3, label FROM `mydataset.mytable`;

-- case: trial_info
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-trial-info
-- columns: trial_id, hyperparameters, hparam_tuning_evaluation_metrics, training_loss, eval_loss, status, error_message, is_optimal
-- equals: trial_id = 1
SELECT
  *
FROM
  ML.TRIAL_INFO(MODEL `mydataset.tuned_linear`);

-- case: evaluate_trial
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-evaluate
-- columns: trial_id, mean_absolute_error, mean_squared_error, mean_squared_log_error, median_absolute_error, r2_score, explained_variance
SELECT
  *
FROM
  ML.EVALUATE(MODEL `mydataset.tuned_linear`, STRUCT(2 AS trial_id));

-- case: boosted_tree_tuned
-- columns: none
-- adapted: model name `mydataset.mymodel` -> `mydataset.tuned_tree`; NUM_TRIALS 50 -> 4
CREATE MODEL `mydataset.tuned_tree`
OPTIONS
  (MODEL_TYPE = 'BOOSTED_TREE_CLASSIFIER',
   NUM_TRIALS = 4,
   MAX_PARALLEL_TRIALS = 2,
   HPARAM_TUNING_ALGORITHM = 'RANDOM_SEARCH',
   HPARAM_TUNING_OBJECTIVES = ['ROC_AUC'],
   LEARN_RATE = HPARAM_RANGE(0.0001, 1.0),
   MAX_TREE_DEPTH = HPARAM_CANDIDATES([2, 4, 6]),
   INPUT_LABEL_COLS = ['mylabel']) AS
SELECT * EXCEPT(label) FROM `mydataset.mytable`;

-- case: predict_trial
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-predict
-- columns: predicted_mylabel, predicted_mylabel_probs, column1, column2, column3, column4, mylabel, split_col, timestamp, init_col
SELECT
  *
FROM
  ML.PREDICT(MODEL `mydataset.tuned_tree`,
    (SELECT * EXCEPT(label) FROM `mydataset.mytable`),
    STRUCT(3 AS trial_id));

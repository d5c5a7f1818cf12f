-- Hyperparameter tuning, warm start and AutoML on the cars data.
-- Run from the repository root:   sqlml cars.duckdb sql_examples/06_tuning_cars.sql

CREATE OR REPLACE TABLE cars AS FROM read_csv('sql_examples/data/cars.csv');

-- 1. Eight boosted-tree trials over learning rate and depth, compared by mean absolute error on the
--    evaluation split; the best trial becomes the model.
CREATE OR REPLACE MODEL mpg_tuned
OPTIONS (model_type = 'boosted_tree_regressor', input_label_cols = ['mpg'],
         data_split_method = 'RANDOM', data_split_eval_fraction = 0.25,
         num_trials = 8, learn_rate = HPARAM_RANGE(0.05, 0.5), max_tree_depth = HPARAM_CANDIDATES([2, 4, 6]),
         hparam_tuning_objectives = ['mean_absolute_error'])
AS SELECT * EXCLUDE (name) FROM cars WHERE model_year < 1982;

SELECT trial_id, hyperparameters, round(hparam_tuning_evaluation_metrics.mean_absolute_error, 3) AS mae, is_optimal
FROM ML.TRIAL_INFO(MODEL mpg_tuned) ORDER BY mae;

-- 2. The optimal trial's boosting rounds.
SELECT iteration, round(loss, 2) AS loss, round(eval_loss, 2) AS eval_loss
FROM ML.TRAINING_INFO(MODEL mpg_tuned) ORDER BY iteration LIMIT 5;

-- 3. A year later: continue a boosted tree on the 1982 cars only (warm start adds trees to it).
CREATE OR REPLACE MODEL mpg_boosted
OPTIONS (model_type = 'boosted_tree_regressor', input_label_cols = ['mpg'], max_iterations = 30)
AS SELECT * EXCLUDE (name) FROM cars WHERE model_year < 1982;

CREATE OR REPLACE MODEL mpg_boosted
OPTIONS (model_type = 'boosted_tree_regressor', input_label_cols = ['mpg'], max_iterations = 10,
         warm_start = TRUE)
AS SELECT * EXCLUDE (name) FROM cars WHERE model_year = 1982;

SELECT training_run, count(*) AS rounds FROM ML.TRAINING_INFO(MODEL mpg_boosted) GROUP BY ALL ORDER BY ALL;

-- 4. AutoML: a few seconds of search over linear, boosted-tree, forest and DNN candidates.
CREATE OR REPLACE MODEL mpg_auto
OPTIONS (model_type = 'automl_regressor', input_label_cols = ['mpg'], budget_hours = 0.003)
AS SELECT * EXCLUDE (name) FROM cars WHERE model_year < 1982;

SELECT hyperparameters.model_type AS family, count(*) AS candidates, round(min(objective), 2) AS best_mse
FROM ML.TRIAL_INFO(MODEL mpg_auto) GROUP BY family ORDER BY best_mse;

-- page: https://cloud.google.com/bigquery/docs/boosted-tree-classifier-tutorial
-- adapted (every case): `bigquery-public-data.ml_datasets.census_adult_income` -> `ml_datasets.census_adult_income`

-- case: create_input_view
-- columns: none
CREATE OR REPLACE VIEW
  `bqml_tutorial.input_data` AS
SELECT
  age,
  workclass,
  marital_status,
  education_num,
  occupation,
  hours_per_week,
  income_bracket,
  CASE
    WHEN MOD(functional_weight, 10) < 8 THEN 'training'
    WHEN MOD(functional_weight, 10) = 8 THEN 'evaluation'
    WHEN MOD(functional_weight, 10) = 9 THEN 'prediction'
  END AS dataframe
FROM
  `ml_datasets.census_adult_income`;

-- case: create_model
-- columns: none
CREATE MODEL `bqml_tutorial.tree_model`
  OPTIONS(MODEL_TYPE='BOOSTED_TREE_CLASSIFIER',
    BOOSTER_TYPE = 'GBTREE',
    NUM_PARALLEL_TREE = 1,
    MAX_ITERATIONS = 50,
    TREE_METHOD = 'HIST',
    EARLY_STOP = FALSE,
    SUBSAMPLE = 0.85,
    INPUT_LABEL_COLS = ['income_bracket'])
AS SELECT * EXCEPT(dataframe)
FROM `bqml_tutorial.input_data`
WHERE dataframe = 'training';

-- case: evaluate
-- columns: precision, recall, accuracy, f1_score, log_loss, roc_auc
-- magnitude: precision ~ 0.67192429022082023
-- magnitude: recall ~ 0.57880434782608692
-- magnitude: accuracy ~ 0.83942963422194672
-- magnitude: f1_score ~ 0.621897810218978
-- magnitude: log_loss ~ 0.34405456040833338
-- magnitude: roc_auc ~ 0.88733566433566435
SELECT
  *
FROM
  ML.EVALUATE (MODEL `bqml_tutorial.tree_model`,
    (
    SELECT
      *
    FROM
      `bqml_tutorial.input_data`
    WHERE
      dataframe = 'evaluation'
    )
  );

-- case: predict
-- columns: predicted_income_bracket, predicted_income_bracket_probs, age, workclass, marital_status, education_num, occupation, hours_per_week, income_bracket, dataframe
SELECT
  *
FROM
  ML.PREDICT (MODEL `bqml_tutorial.tree_model`,
    (
    SELECT
      *
    FROM
      `bqml_tutorial.input_data`
    WHERE
      dataframe = 'prediction'
    )
  );

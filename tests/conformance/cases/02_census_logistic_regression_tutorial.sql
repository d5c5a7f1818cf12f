-- page: https://cloud.google.com/bigquery/docs/logistic-regression-prediction
-- adapted (every case): `bigquery-public-data.ml_datasets.census_adult_income` -> `ml_datasets.census_adult_income`

-- case: look_at_data
-- columns: age, workclass, marital_status, education_num, occupation, hours_per_week, income_bracket, functional_weight
SELECT
age,
workclass,
marital_status,
education_num,
occupation,
hours_per_week,
income_bracket,
functional_weight
FROM
`ml_datasets.census_adult_income`
LIMIT
100;

-- case: create_input_view
-- columns: none
CREATE OR REPLACE VIEW
`census.input_data` AS
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
CREATE OR REPLACE MODEL
`census.census_model`
OPTIONS
( model_type='LOGISTIC_REG',
  auto_class_weights=TRUE,
  data_split_method='NO_SPLIT',
  input_label_cols=['income_bracket'],
  max_iterations=15) AS
SELECT * EXCEPT(dataframe)
FROM
`census.input_data`
WHERE
dataframe = 'training';

-- case: evaluate
-- columns: precision, recall, accuracy, f1_score, log_loss, roc_auc
SELECT
*
FROM
ML.EVALUATE (MODEL `census.census_model`,
  (
  SELECT
    *
  FROM
    `census.input_data`
  WHERE
    dataframe = 'evaluation'
  )
);

-- case: predict
-- columns: predicted_income_bracket, predicted_income_bracket_probs, age, workclass, marital_status, education_num, occupation, hours_per_week, income_bracket, dataframe
SELECT
*
FROM
ML.PREDICT (MODEL `census.census_model`,
  (
  SELECT
    *
  FROM
    `census.input_data`
  WHERE
    dataframe = 'prediction'
  )
);

-- case: explain_predict
-- columns: predicted_income_bracket, probability, top_feature_attributions, baseline_prediction_value, prediction_value, approximation_error, age, workclass, marital_status, education_num, occupation, hours_per_week, income_bracket, dataframe
#standardSQL
SELECT
*
FROM
ML.EXPLAIN_PREDICT(MODEL `census.census_model`,
  (
  SELECT
    *
  FROM
    `census.input_data`
  WHERE
    dataframe = 'evaluation'),
  STRUCT(3 as top_k_features));

-- case: create_model_global_explain
-- columns: none
CREATE OR REPLACE MODEL
  census.census_model
OPTIONS
  ( model_type='LOGISTIC_REG',
    auto_class_weights=TRUE,
    enable_global_explain=TRUE,
    input_label_cols=['income_bracket']
  ) AS
SELECT
  * EXCEPT(dataframe)
FROM
  census.input_data
WHERE
  dataframe = 'training';

-- case: global_explain
-- columns: feature, attribution
SELECT
  *
FROM
  ML.GLOBAL_EXPLAIN(MODEL `census.census_model`);

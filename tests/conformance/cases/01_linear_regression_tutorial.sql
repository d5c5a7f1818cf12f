-- page: https://cloud.google.com/bigquery/docs/linear-regression-tutorial
-- adapted (every case): `bigquery-public-data.ml_datasets.penguins` -> `ml_datasets.penguins` (the project dropped)
-- The numbers are the page's (its BigQuery DataFrames sample prints the same ML.EVALUATE and ML.GLOBAL_EXPLAIN).

-- case: create_model
-- columns: none
CREATE OR REPLACE MODEL `bqml_tutorial.penguins_model`
OPTIONS
  (model_type='linear_reg',
  input_label_cols=['body_mass_g']) AS
SELECT
  *
FROM
  `ml_datasets.penguins`
WHERE
  body_mass_g IS NOT NULL;

-- case: evaluate_reserved_split
-- columns: mean_absolute_error, mean_squared_error, mean_squared_log_error, median_absolute_error, r2_score, explained_variance
SELECT
  *
FROM
  ML.EVALUATE(MODEL bqml_tutorial.penguins_model);

-- case: evaluate
-- columns: mean_absolute_error, mean_squared_error, mean_squared_log_error, median_absolute_error, r2_score, explained_variance
-- magnitude: mean_absolute_error ~ 227.012237
-- magnitude: mean_squared_error ~ 81838.159892
-- magnitude: mean_squared_log_error ~ 0.00507
-- magnitude: median_absolute_error ~ 173.080816
-- magnitude: r2_score ~ 0.872377
-- magnitude: explained_variance ~ 0.872377
SELECT
  *
FROM
  ML.EVALUATE(MODEL `bqml_tutorial.penguins_model`,
    (
    SELECT
      *
    FROM
      `ml_datasets.penguins`
    WHERE
      body_mass_g IS NOT NULL));

-- case: predict_biscoe
-- columns: predicted_body_mass_g, species, island, culmen_length_mm, culmen_depth_mm, flipper_length_mm, body_mass_g, sex
SELECT
*
FROM
ML.PREDICT(MODEL `bqml_tutorial.penguins_model`,
  (
  SELECT
    *
  FROM
    `ml_datasets.penguins`
  WHERE island = 'Biscoe'));

-- case: explain_predict_top_3
-- columns: predicted_body_mass_g, top_feature_attributions, baseline_prediction_value, prediction_value, approximation_error, species, island, culmen_length_mm, culmen_depth_mm, flipper_length_mm, body_mass_g, sex
SELECT
  *
FROM
  ML.EXPLAIN_PREDICT(MODEL `bqml_tutorial.penguins_model`,
    (
    SELECT
      *
    FROM
      `ml_datasets.penguins`
    WHERE island = 'Biscoe'),
    STRUCT(3 as top_k_features));

-- case: create_model_global_explain
-- columns: none
#standardSQL
CREATE OR REPLACE MODEL `bqml_tutorial.penguins_model`
OPTIONS (
  model_type = 'linear_reg',
  input_label_cols = ['body_mass_g'],
  enable_global_explain = TRUE)
AS
SELECT
*
FROM
`ml_datasets.penguins`
WHERE
body_mass_g IS NOT NULL;

-- case: global_explain
-- columns: feature, attribution
-- adapted: no magnitude check on the page's 5737.3: for a linear model BigQuery ML attributes against its own
-- baseline of one-hot weights, which least squares does not pin down (sqlml's attributions are centered on the
-- training means: 476 on this data); docs/bigquery.md names the difference
SELECT
*
FROM
ML.GLOBAL_EXPLAIN(MODEL `bqml_tutorial.penguins_model`);

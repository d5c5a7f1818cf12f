-- page: https://cloud.google.com/bigquery/docs/bigqueryml-transform
-- adapted (every case): `bigquery-public-data.ml_datasets.penguins` -> `ml_datasets.penguins`

-- case: create_model_with_transform
-- columns: none
CREATE OR REPLACE MODEL `bqml_tutorial.penguin_transform`
  TRANSFORM(
    species,
    island,
    ML.MAX_ABS_SCALER(culmen_length_mm) OVER () AS culmen_length_mm,
    ML.MAX_ABS_SCALER(culmen_depth_mm) OVER () AS culmen_depth_mm,
    ML.MAX_ABS_SCALER(flipper_length_mm) OVER () AS flipper_length_mm,
    sex,
    body_mass_g)
  OPTIONS (
    model_type = 'linear_reg',
    input_label_cols = ['body_mass_g'])
AS (
  SELECT *
  FROM `ml_datasets.penguins`
  WHERE body_mass_g IS NOT NULL
);

-- case: evaluate
-- columns: mean_absolute_error, mean_squared_error, mean_squared_log_error, median_absolute_error, r2_score, explained_variance
-- magnitude: mean_absolute_error ~ 227.01
-- magnitude: r2_score ~ 0.8723
SELECT *
FROM
  ML.EVALUATE(
    MODEL `bqml_tutorial.penguin_transform`,
    (
      SELECT *
      FROM `ml_datasets.penguins`
      WHERE body_mass_g IS NOT NULL
    ));

-- case: predict
-- columns: predicted_body_mass_g, species, island, culmen_length_mm, culmen_depth_mm, flipper_length_mm, body_mass_g, sex
SELECT
  predicted_body_mass_g,
  species,
  island,
  culmen_length_mm,
  culmen_depth_mm,
  flipper_length_mm,
  body_mass_g,
  sex
FROM
  ML.PREDICT(
    MODEL `bqml_tutorial.penguin_transform`,
    (
      SELECT *
      FROM `ml_datasets.penguins`
      WHERE island = 'Biscoe'
    ));

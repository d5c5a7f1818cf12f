-- page: https://cloud.google.com/bigquery/docs/bigqueryml-transform
-- adapted (every case): `bigquery-public-data.ml_datasets.penguins` -> `ml_datasets.penguins`
-- RAND() has no seed in BigQuery; here the given statement seeds it, so the 20% training sample and the figures
-- repeat from run to run (with more one-hot columns than sampled rows, another sample can give a negative r2_score)
-- given: SELECT setseed(0.5)

-- case: create_model_with_transform
-- columns: none
CREATE OR REPLACE MODEL `bqml_tutorial.penguin_transform`
  TRANSFORM(
    body_mass_g,
    culmen_depth_mm,
    flipper_length_mm,
    ML.QUANTILE_BUCKETIZE(culmen_length_mm, 10) OVER () AS bucketized_culmen_length,
    CAST(culmen_length_mm AS string) AS culmen_length_mm,
    ML.FEATURE_CROSS(STRUCT(species, sex)) AS species_sex)
  OPTIONS (
    model_type = 'linear_reg',
    input_label_cols = ['body_mass_g'])
AS
SELECT
  *
FROM
  `ml_datasets.penguins`
WHERE
  body_mass_g IS NOT NULL
  AND RAND() < 0.2;

-- case: evaluate
-- columns: mean_absolute_error, mean_squared_error, mean_squared_log_error, median_absolute_error, r2_score, explained_variance
-- magnitude: mean_absolute_error ~ 64.21134350607677
-- magnitude: r2_score ~ 0.9813042531507734
-- magnitude: explained_variance ~ 0.9813186268757634
SELECT
  *
FROM
  ML.EVALUATE(
    MODEL `bqml_tutorial.penguin_transform`,
    (
      SELECT
        *
      FROM
        `ml_datasets.penguins`
      WHERE
        body_mass_g IS NOT NULL
    ));

-- case: predict_male_penguins
-- columns: predicted_body_mass_g
-- magnitude: predicted_body_mass_g ~ 2810.2868541725757
SELECT
  predicted_body_mass_g
FROM
  ML.PREDICT(
    MODEL `bqml_tutorial.penguin_transform`,
    (
      SELECT
        *
      FROM
        `ml_datasets.penguins`
      WHERE
        sex = 'MALE'
    ));

-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-feature
-- adapted (every case): model and table names -> local models of the earlier files

-- case: feature_info
-- columns: input, min, max, mean, median, stddev, category_count, null_count, dimension
SELECT
  *
FROM
  ML.FEATURE_INFO(MODEL `bqml_tutorial.penguins_model`);

-- case: feature_info_transform_model
-- columns: input, min, max, mean, median, stddev, category_count, null_count, dimension
SELECT
  *
FROM
  ML.FEATURE_INFO(MODEL `bqml_tutorial.penguin_transform`);

-- case: ml_transform
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-transform
-- columns: species, island, culmen_length_mm, culmen_depth_mm, flipper_length_mm, sex, body_mass_g
SELECT
  *
FROM
  ML.TRANSFORM(MODEL `bqml_tutorial.penguin_transform`,
    TABLE `ml_datasets.penguins`);

-- case: create_transform_only
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-create-transform
-- columns: none
-- adapted: `bigquery-public-data.ml_datasets.penguins` -> `ml_datasets.penguins`; model name -> `bqml_tutorial.transform_model`
CREATE OR REPLACE MODEL `bqml_tutorial.transform_model`
  TRANSFORM(
    species,
    sex,
    ML.MAX_ABS_SCALER(body_mass_g) OVER () AS body_mass_g,
    ML.ROBUST_SCALER(culmen_length_mm, [10, 90], true, false) OVER () AS culmen_length_mm,
    ML.MIN_MAX_SCALER(flipper_length_mm) OVER () AS flipper_length_mm)
  OPTIONS (MODEL_TYPE = 'TRANSFORM_ONLY')
AS (
  SELECT *
  FROM `ml_datasets.penguins`
);

-- case: transform_only_apply
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-transform
-- columns: species, sex, body_mass_g, culmen_length_mm, flipper_length_mm
SELECT
  *
FROM
  ML.TRANSFORM(MODEL `bqml_tutorial.transform_model`,
    TABLE `ml_datasets.penguins`);

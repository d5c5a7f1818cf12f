-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-create-transform
-- adapted (every case): `bigquery-public-data.ml_datasets.penguins` -> `ml_datasets.penguins`

-- case: transform_only_model
-- columns: none
CREATE MODEL `mydataset.transform_model`
  TRANSFORM(
    species,
    island,
    ML.MAX_ABS_SCALER(culmen_length_mm) OVER () AS culmen_length_mm,
    ML.MAX_ABS_SCALER(culmen_depth_mm) OVER () AS culmen_depth_mm,
    ML.MAX_ABS_SCALER(flipper_length_mm) OVER () AS flipper_length_mm,
    sex,
    body_mass_g)
  OPTIONS (
    model_type = 'transform_only')
AS (
  SELECT *
  FROM `ml_datasets.penguins`
);

-- case: train_on_transformed_data
-- columns: none
CREATE MODEL `mydataset.mymodel`
OPTIONS
  ( MODEL_TYPE = 'LINEAR_REG',
    MAX_ITERATIONS = 5,
    INPUT_LABEL_COLS = ['body_mass_g'] ) AS
SELECT
  *
FROM
  ML.TRANSFORM(
    MODEL `mydataset.transform_model`,
    TABLE `ml_datasets.penguins`)
WHERE body_mass_g IS NOT NULL;

-- case: ml_transform
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-transform
-- columns: species, island, culmen_length_mm, culmen_depth_mm, flipper_length_mm, sex, body_mass_g
-- adapted: the page's syntax with the names of this page's example
SELECT
  *
FROM
  ML.TRANSFORM(
    MODEL `mydataset.transform_model`,
    TABLE `ml_datasets.penguins`);

-- case: feature_info
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-feature
-- columns: input, min, max, mean, median, stddev, category_count, null_count, dimension
SELECT
  *
FROM
  ML.FEATURE_INFO(MODEL `mydataset.mymodel`);

-- case: feature_info_transform_only
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-feature
-- columns: input, min, max, mean, median, stddev, category_count, null_count, dimension
-- adapted: model name `mydataset.mymodel` -> `mydataset.transform_model` (the page: "a transform-only model with ML.FEATURE_INFO")
SELECT
  *
FROM
  ML.FEATURE_INFO(MODEL `mydataset.transform_model`);

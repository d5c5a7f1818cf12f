-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-weights
-- adapted (every case): model names -> local models of the earlier files

-- case: weights
-- columns: processed_input, weight, category_weights
SELECT
  *
FROM
  ML.WEIGHTS(MODEL `mydataset.mymodel_custom`);

-- case: weights_standardized
-- columns: processed_input, weight, category_weights
SELECT
  *
FROM
  ML.WEIGHTS(MODEL `mydataset.mymodel_custom`,
    STRUCT(true AS standardize));

-- case: weights_penguins_categories
-- columns: processed_input, weight, category_weights
-- adapted: model name -> `bqml_tutorial.penguins_model` (categorical features: category_weights filled)
SELECT
  *
FROM
  ML.WEIGHTS(MODEL `bqml_tutorial.penguins_model`);

-- case: create_model_p_values
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-advanced-weights
-- columns: none
-- adapted: `bigquery-public-data.ml_datasets.penguins` -> `ml_datasets.penguins`; model name -> `bqml_tutorial.penguins_p_values`
CREATE OR REPLACE MODEL `bqml_tutorial.penguins_p_values`
  OPTIONS (
    model_type = 'linear_reg',
    input_label_cols = ['body_mass_g'],
    category_encoding_method = 'DUMMY_ENCODING',
    calculate_p_values = TRUE)
AS SELECT
  *
FROM
  `ml_datasets.penguins`
WHERE
  body_mass_g IS NOT NULL;

-- case: advanced_weights
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-advanced-weights
-- columns: processed_input, weight, category_weights, standard_error, p_value
SELECT
  *
FROM
  ML.ADVANCED_WEIGHTS(MODEL `bqml_tutorial.penguins_p_values`);

-- case: advanced_weights_standardized
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-advanced-weights
-- columns: processed_input, weight, category_weights, standard_error, p_value
SELECT
  *
FROM
  ML.ADVANCED_WEIGHTS(MODEL `bqml_tutorial.penguins_p_values`,
    STRUCT(TRUE AS standardize));

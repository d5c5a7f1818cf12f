-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-advanced-weights
-- The page's examples assume a linear model trained with CALCULATE_P_VALUES and DUMMY_ENCODING (its usage requirements):
-- given: CREATE OR REPLACE MODEL `mydataset.mymodel` OPTIONS (model_type = 'linear_reg', input_label_cols = ['label'], calculate_p_values = TRUE, category_encoding_method = 'DUMMY_ENCODING') AS SELECT label, column1, input_col FROM `mydataset.mytable`

-- case: without_standardization
-- columns: processed_input, weight, category_weights, standard_error, p_value
SELECT
  *
FROM
  ML.ADVANCED_WEIGHTS(MODEL `mydataset.mymodel`,
    STRUCT(FALSE AS standardize));

-- case: with_standardization
-- columns: processed_input, weight, category_weights, standard_error, p_value
SELECT
  *
FROM
  ML.ADVANCED_WEIGHTS(MODEL `mydataset.mymodel`,
    STRUCT(TRUE AS standardize));

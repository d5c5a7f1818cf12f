-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-weights
-- The page's examples assume a model `mydataset.mymodel` with a one-hot encoded input column input_col:
-- given: CREATE OR REPLACE MODEL `mydataset.mymodel` OPTIONS (model_type = 'linear_reg', input_label_cols = ['label']) AS SELECT label, column1, input_col FROM `mydataset.mytable`

-- case: category_weights_of_input_col
-- columns: category, weight
SELECT
  category,
  weight
FROM
  UNNEST((
    SELECT
      category_weights
    FROM
      ML.WEIGHTS(MODEL `mydataset.mymodel`)
    WHERE
      processed_input = 'input_col'));

-- case: with_standardization
-- columns: processed_input, weight, category_weights
SELECT
  *
FROM
  ML.WEIGHTS(MODEL `mydataset.mymodel`,
    STRUCT(true AS standardize));

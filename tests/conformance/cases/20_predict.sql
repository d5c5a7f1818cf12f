-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-predict
-- The page's examples assume a binary classifier `mydataset.mymodel` with features column1 and column2:
-- given: CREATE OR REPLACE MODEL `mydataset.mymodel` OPTIONS (model_type = 'logistic_reg', input_label_cols = ['label']) AS SELECT label, column1, column2 FROM `mydataset.mytable`

-- case: predict_outcome
-- columns: predicted_label, predicted_label_probs, label, column1, column2
SELECT
  *
FROM
  ML.PREDICT(MODEL `mydataset.mymodel`,
    (
    SELECT
      label,
      column1,
      column2
    FROM
      `mydataset.mytable`));

-- case: create_first_model
-- columns: none
CREATE MODEL
  `mydataset.mymodel1`
OPTIONS
  (model_type='linear_reg',
    input_label_cols=['label'],
  ) AS
SELECT
  label,
  input_column1
FROM
  `mydataset.mytable`;

-- case: create_second_model
-- columns: none
CREATE MODEL
  `mydataset.mymodel2`
OPTIONS
  (model_type='linear_reg',
    input_label_cols=['label'],
  ) AS
SELECT
  label,
  input_column2
FROM
  `mydataset.mytable`;

-- case: compare_two_models
-- columns: label, predicted_label1, predicted_label2
SELECT
  label,
  predicted_label1,
  predicted_label AS predicted_label2
FROM
  ML.PREDICT(MODEL `mydataset.mymodel2`,
    (
    SELECT
      * EXCEPT (predicted_label),
          predicted_label AS predicted_label1
    FROM
      ML.PREDICT(MODEL `mydataset.mymodel1`,
        TABLE `mydataset.mytable`)));

-- case: custom_threshold
-- columns: predicted_label, predicted_label_probs, custom_label, column1, column2
SELECT
  *
FROM
  ML.PREDICT(MODEL `mydataset.mymodel`,
    (
    SELECT
      custom_label,
      column1,
      column2
    FROM
      `mydataset.mytable`),
    STRUCT(0.55 AS threshold));

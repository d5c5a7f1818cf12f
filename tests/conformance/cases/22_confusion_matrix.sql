-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-confusion
-- The page's examples assume a logistic regression model `mydataset.mymodel` (labels 0 and 1: columns _0, _1):
-- given: CREATE OR REPLACE MODEL `mydataset.mymodel` OPTIONS (model_type = 'logistic_reg', input_label_cols = ['label']) AS SELECT label, column1, column2 FROM `mydataset.mytable`

-- case: query_statement
-- columns: expected_label, _0, _1
SELECT
  *
FROM
  ML.CONFUSION_MATRIX(MODEL `mydataset.mymodel`,
  (
    SELECT
      *
    FROM
      `mydataset.mytable`));

-- case: custom_threshold
-- columns: expected_label, _0, _1
SELECT
  *
FROM
  ML.CONFUSION_MATRIX(MODEL `mydataset.mymodel`,
    (
    SELECT
      *
    FROM
      `mydataset.mytable`),
    STRUCT(0.6 AS threshold));

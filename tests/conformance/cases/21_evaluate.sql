-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-evaluate
-- The page's examples assume a binary classifier `mydataset.mymodel` whose label is custom_label:
-- given: CREATE OR REPLACE MODEL `mydataset.mymodel` OPTIONS (model_type = 'logistic_reg', input_label_cols = ['custom_label']) AS SELECT custom_label, column1, column2 FROM `mydataset.mytable`

-- case: no_input_data
-- columns: precision, recall, accuracy, f1_score, log_loss, roc_auc
SELECT
  *
FROM
  ML.EVALUATE(MODEL `mydataset.mymodel`);

-- case: custom_threshold_and_input_data
-- columns: precision, recall, accuracy, f1_score, log_loss, roc_auc
SELECT
  *
FROM
  ML.EVALUATE(MODEL `mydataset.mymodel`,
    (
    SELECT
      custom_label,
      column1,
      column2
    FROM
      `mydataset.mytable`),
    STRUCT(0.55 AS threshold));

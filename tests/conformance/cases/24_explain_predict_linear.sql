-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-explain-predict
-- "Assume a linear regression model stored in mydataset.mymodel was trained with ... label, column1 .. column5":
-- given: CREATE OR REPLACE MODEL `mydataset.mymodel` OPTIONS (model_type = 'linear_reg', input_label_cols = ['label']) AS SELECT label, column1, column2, column3, column4, column5 FROM `mydataset.mytable`

-- case: linear_regression_top_3
-- columns: predicted_label, top_feature_attributions, baseline_prediction_value, prediction_value, approximation_error, label, column1, column2, column3, column4, column5
SELECT
  *
FROM
  ML.EXPLAIN_PREDICT(MODEL `mydataset.mymodel`,
    (
    SELECT
      label,
      column1,
      column2,
      column3,
      column4,
      column5
    FROM
      `mydataset.mytable`), STRUCT(3 AS top_k_features));

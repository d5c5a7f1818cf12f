-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-explain-predict
-- "Assume a boosted tree or a random forest binary classification model stored in mydataset.mymodel ...":
-- given: CREATE OR REPLACE MODEL `mydataset.mymodel` OPTIONS (model_type = 'boosted_tree_classifier', input_label_cols = ['label']) AS SELECT label, column1, column2, column3, column4, column5 FROM `mydataset.mytable`

-- case: boosted_tree_top_3_threshold
-- columns: predicted_label, probability, top_feature_attributions, baseline_prediction_value, prediction_value, approximation_error, label, column1, column2, column3, column4, column5
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
      `mydataset.mytable`), STRUCT(3 AS top_k_features, 0.7 AS threshold));

-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-explain-predict
-- adapted (every case): model and table names -> local models of the earlier files and `mydataset.mytable`

-- case: explain_predict_top_3
-- columns: predicted_label, top_feature_attributions, baseline_prediction_value, prediction_value, approximation_error, column1, column2, column3, column4, label, mylabel, split_col, timestamp, init_col
SELECT
  *
FROM
  ML.EXPLAIN_PREDICT(MODEL `mydataset.mymodel_custom`,
    TABLE `mydataset.mytable`,
    STRUCT(3 AS top_k_features));

-- case: explain_predict_threshold
-- columns: predicted_label, probability, top_feature_attributions, baseline_prediction_value, prediction_value, approximation_error, column1, column2, column3, column4, label, mylabel, split_col, timestamp, init_col
-- adapted: model name -> `mydataset.mymodel_logistic` (trained on SELECT *: the query reads *)
SELECT
  *
FROM
  ML.EXPLAIN_PREDICT(MODEL `mydataset.mymodel_logistic`,
    (
    SELECT
      *
    FROM
      `mydataset.mytable`),
    STRUCT(3 AS top_k_features, 0.55 AS threshold));

-- case: explain_predict_boosted_tree
-- columns: predicted_mylabel, probability, top_feature_attributions, baseline_prediction_value, prediction_value, approximation_error, column1, column2, column3, column4, label, mylabel, split_col, timestamp, init_col
SELECT
  *
FROM
  ML.EXPLAIN_PREDICT(MODEL `mydataset.boosted_tree_classifier`,
    TABLE `mydataset.mytable`,
    STRUCT(2 AS top_k_features));

-- case: global_explain_class_level
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-global-explain
-- columns: class_label, feature, attribution
-- adapted: model name -> `census.census_model` (a classifier trained with ENABLE_GLOBAL_EXPLAIN)
SELECT
  *
FROM
  ML.GLOBAL_EXPLAIN(MODEL `census.census_model`, STRUCT(TRUE AS class_level_explain));

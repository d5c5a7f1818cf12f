-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-global-explain
-- "global feature importance for the boosted tree regression model mymodel" (trained with ENABLE_GLOBAL_EXPLAIN):
-- given: CREATE OR REPLACE MODEL `mydataset.mymodel` OPTIONS (model_type = 'boosted_tree_regressor', input_label_cols = ['features'], enable_global_explain = TRUE) AS SELECT features, column1, column2, column3 FROM `mydataset.mytable`

-- case: regression_model
-- columns: feature, attribution
SELECT
  *
FROM
  ML.GLOBAL_EXPLAIN(MODEL `mydataset.mymodel`);

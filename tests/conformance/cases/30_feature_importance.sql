-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-importance
-- The page's example assumes a boosted tree model `mydataset.mymodel`:
-- given: CREATE OR REPLACE MODEL `mydataset.mymodel` OPTIONS (model_type = 'boosted_tree_classifier', input_label_cols = ['mylabel']) AS SELECT mylabel, column1, column2, column3, input_col FROM `mydataset.mytable`

-- case: feature_importance
-- columns: feature, importance_weight, importance_gain, importance_cover
SELECT
  *
FROM
  ML.FEATURE_IMPORTANCE(MODEL `mydataset.mymodel`);

-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-global-explain
-- "global feature importance for the boosted tree classifier model mymodel" (trained with ENABLE_GLOBAL_EXPLAIN):
-- given: CREATE OR REPLACE MODEL `mydataset.mymodel` OPTIONS (model_type = 'boosted_tree_classifier', input_label_cols = ['mylabel'], enable_global_explain = TRUE) AS SELECT mylabel, column1, column2, column3 FROM `mydataset.mytable`

-- case: classifier_class_level
-- columns: class_label, feature, attribution
SELECT
  *
FROM
  ML.GLOBAL_EXPLAIN(MODEL `mydataset.mymodel`, STRUCT(TRUE AS class_level_explain));

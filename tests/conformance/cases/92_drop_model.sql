-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-drop-model

-- case: drop_model
-- columns: none
DROP MODEL mydataset.mymodel;

-- case: drop_model_if_exists
-- columns: none
DROP MODEL IF EXISTS mydataset.mymodel;

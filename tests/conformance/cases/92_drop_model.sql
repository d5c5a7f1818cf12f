-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-drop-model

-- case: drop_model
-- columns: none
-- adapted: model name `mydataset.mymodel` -> `mydataset.mymodel_custom`
DROP MODEL `mydataset.mymodel_custom`;

-- case: drop_model_if_exists
-- columns: none
-- adapted: model name `mydataset.mymodel` -> `mydataset.mymodel_custom` (dropped by the case before: IF EXISTS makes it a no-op)
DROP MODEL IF EXISTS `mydataset.mymodel_custom`;

-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-alter-model
-- adapted (every case): model name `mydataset.mymodel` -> the local `mydataset.mymodel_logistic`

-- case: set_expiration_timestamp
-- columns: none
ALTER MODEL `mydataset.mymodel_logistic`
SET OPTIONS (expiration_timestamp=TIMESTAMP "2035-02-03 12:34:56");

-- case: set_description_and_labels
-- columns: none
ALTER MODEL IF EXISTS `mydataset.mymodel_logistic`
SET OPTIONS (description="Logistic model of the class weights example", labels=[("org_unit", "development")]);

-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-alter-model
-- adapted: expiration_timestamp in the future (2035), so the model stays usable for the cases after it

-- case: set_options
-- columns: none
ALTER MODEL mydataset.mymodel
SET OPTIONS (
  expiration_timestamp=TIMESTAMP "2035-02-03 12:34:56",
  description="This is my model",
  labels=[("org_unit", "development")]);

-- case: evaluate_after_alter
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-evaluate
-- columns: precision, recall, accuracy, f1_score, log_loss, roc_auc
SELECT
  *
FROM
  ML.EVALUATE(MODEL `mydataset.mymodel`);

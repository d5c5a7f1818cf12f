-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-evaluate
-- adapted (every case): model and table names -> the local `mydataset.mymodel_logistic` and `mydataset.mytable`

-- case: evaluate_table
-- columns: precision, recall, accuracy, f1_score, log_loss, roc_auc
SELECT
  *
FROM
  ML.EVALUATE(MODEL `mydataset.mymodel_logistic`,
    TABLE `mydataset.mytable`);

-- case: evaluate_threshold
-- columns: precision, recall, accuracy, f1_score, log_loss, roc_auc
SELECT
  *
FROM
  ML.EVALUATE(MODEL `mydataset.mymodel_logistic`,
    (
    SELECT
      *
    FROM
      `mydataset.mytable`),
    STRUCT(0.55 AS threshold));

-- case: evaluate_without_input
-- columns: precision, recall, accuracy, f1_score, log_loss, roc_auc
SELECT
  *
FROM
  ML.EVALUATE(MODEL `mydataset.mymodel_logistic`);

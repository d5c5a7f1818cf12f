-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-roc
-- adapted (every case): model and table names -> the local `mydataset.mymodel_logistic` and `mydataset.mytable`

-- case: roc_curve
-- columns: threshold, recall, false_positive_rate, true_positives, false_positives, true_negatives, false_negatives
SELECT
  *
FROM
  ML.ROC_CURVE(MODEL `mydataset.mymodel_logistic`,
    TABLE `mydataset.mytable`);

-- case: roc_curve_thresholds
-- columns: threshold, recall, false_positive_rate, true_positives, false_positives, true_negatives, false_negatives
SELECT
  *
FROM
  ML.ROC_CURVE(MODEL `mydataset.mymodel_logistic`,
    TABLE `mydataset.mytable`,
    GENERATE_ARRAY(0.4,0.6,0.01));

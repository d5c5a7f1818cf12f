-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-roc
-- The page's examples assume a binary logistic regression model `mydataset.mymodel`:
-- given: CREATE OR REPLACE MODEL `mydataset.mymodel` OPTIONS (model_type = 'logistic_reg', input_label_cols = ['label']) AS SELECT label, column1, column2 FROM `mydataset.mytable`

-- case: roc_curve
-- columns: threshold, recall, false_positive_rate, true_positives, false_positives, true_negatives, false_negatives
SELECT
  *
FROM
  ML.ROC_CURVE(MODEL `mydataset.mymodel`,
    TABLE `mydataset.mytable`);

-- case: custom_thresholds
-- columns: threshold, recall, false_positive_rate, true_positives, false_positives, true_negatives, false_negatives
SELECT
  *
FROM
  ML.ROC_CURVE(MODEL `mydataset.mymodel`,
    TABLE `mydataset.mytable`,
    GENERATE_ARRAY(0.4,0.6,0.01));

-- case: precision_recall_curve
-- columns: recall, precision
SELECT
  recall,
  true_positives / (true_positives + false_positives) AS precision
FROM
  ML.ROC_CURVE(MODEL `mydataset.mymodel`,
    TABLE `mydataset.mytable`);

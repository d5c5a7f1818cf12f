-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-confusion
-- adapted (every case): model and table names -> the local `mydataset.mymodel_logistic` (label 0/1) and `mydataset.mytable`

-- case: confusion_matrix_threshold
-- columns: expected_label, _0, _1
SELECT
  *
FROM
  ML.CONFUSION_MATRIX(MODEL `mydataset.mymodel_logistic`,
    (
    SELECT
      *
    FROM
      `mydataset.mytable`),
    STRUCT(0.55 AS threshold));

-- case: confusion_matrix_evaluation_data
-- columns: expected_label, _0, _1
SELECT
  *
FROM
  ML.CONFUSION_MATRIX(MODEL `mydataset.mymodel_logistic`);

-- case: confusion_matrix_string_classes
-- columns: expected_label, no, yes
-- adapted: model name -> `mydataset.boosted_tree_classifier` (label `mylabel`: no/yes)
SELECT
  *
FROM
  ML.CONFUSION_MATRIX(MODEL `mydataset.boosted_tree_classifier`,
    TABLE `mydataset.mytable`);

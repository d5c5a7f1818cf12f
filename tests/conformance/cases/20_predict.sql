-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-predict
-- adapted (every case): `mydataset.mymodel` -> a linear model of 10_create_glm (`mydataset.mymodel_custom`: SELECT * of
-- the local placeholder table `mydataset.mytable`), unless the case says otherwise

-- case: predict_table
-- columns: predicted_label, column1, column2, column3, column4, label, mylabel, split_col, timestamp, init_col
SELECT
  *
FROM
  ML.PREDICT(MODEL `mydataset.mymodel_custom`,
    TABLE `mydataset.mytable`);

-- case: predict_query
-- columns: predicted_label, column1, column2, column3
-- adapted: model name -> `mydataset.tuned_linear` (trained on column1..column3); the page's (SELECT column1, column2 ...) reads its three features
SELECT
  *
FROM
  ML.PREDICT(MODEL `mydataset.tuned_linear`,
    (
    SELECT
      column1,
      column2,
      column3
    FROM
      `mydataset.mytable`));

-- case: predict_threshold
-- columns: predicted_label, predicted_label_probs, column1, column2, column3, column4, label, mylabel, split_col, timestamp, init_col
-- adapted: model name -> `mydataset.mymodel_logistic` (a binary classifier trained on SELECT *: the query reads * for the page's custom_label, column1, column2)
SELECT
  *
FROM
  ML.PREDICT(MODEL `mydataset.mymodel_logistic`,
    (
    SELECT
      *
    FROM
      `mydataset.mytable`),
    STRUCT(0.55 AS threshold));

-- case: predict_keep_original_columns
-- columns: predicted_label, column1, column2, column3, column4, label, mylabel, split_col, timestamp, init_col
SELECT
  *
FROM
  ML.PREDICT(MODEL `mydataset.mymodel_custom`,
    TABLE `mydataset.mytable`,
    STRUCT(TRUE AS keep_original_columns));

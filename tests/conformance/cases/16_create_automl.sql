-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-create-automl
-- The page's example as transcribed (the stored copies of the page did not show it).
-- adapted (every case): `project_id.mydataset.mytable` -> `mydataset.mytable`; BUDGET_HOURS=1.0 -> 0.002 (seven
-- seconds: sqlml's search uses the budget it is given, and a test may not run an hour)

-- case: automl_classifier
-- columns: none
-- adapted: model name `project_id.mydataset.mymodel` -> `mydataset.automl_classifier`
CREATE MODEL `mydataset.automl_classifier`
       OPTIONS(model_type='AUTOML_CLASSIFIER',
               input_label_cols=['mylabel'],
               budget_hours=0.002)
AS SELECT * EXCEPT(label) FROM `mydataset.mytable`;

-- case: automl_regressor
-- columns: none
-- adapted: the page's example as an AUTOML_REGRESSOR, label `label`
CREATE MODEL `mydataset.automl_regressor`
       OPTIONS(model_type='AUTOML_REGRESSOR',
               input_label_cols=['label'],
               budget_hours=0.002)
AS SELECT * EXCEPT(mylabel) FROM `mydataset.mytable`;

-- case: predict_regressor
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-predict
-- columns: predicted_label, label, custom_label, column1, column2, column3, column4, column5, input_column1, input_column2, input_col, features, f1, f2, f3, split_col, timestamp, init_col
SELECT
  *
FROM
  ML.PREDICT(MODEL `mydataset.automl_regressor`,
    (SELECT * EXCEPT(mylabel) FROM `mydataset.mytable`));

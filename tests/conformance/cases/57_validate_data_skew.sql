-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-validate-data-skew
-- The page's example assumes a model `mydataset.mymodel` and a table of serving rows `mydataset.serving`:
-- given: CREATE OR REPLACE MODEL `mydataset.mymodel` OPTIONS (model_type = 'logistic_reg', input_label_cols = ['label']) AS SELECT label, column1, column2 FROM `mydataset.mytable`

-- case: run_validate_data_skew
-- adapted: `myproject.mydataset.mymodel` and `myproject.mydataset.serving` without the project
-- columns: input, metric, threshold, value, is_anomaly
SELECT *
FROM ML.VALIDATE_DATA_SKEW(
  MODEL `mydataset.mymodel`,
  TABLE `mydataset.serving`,
  STRUCT(0.2 AS categorical_default_threshold)
);

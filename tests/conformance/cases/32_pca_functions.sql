-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-principal-components
-- The pages' examples read PCA models `mydataset.mymodel` and `mydataset.my_pca_model`:
-- given: CREATE OR REPLACE MODEL `mydataset.mymodel` OPTIONS (model_type = 'pca', num_principal_components = 3) AS SELECT column1, column2, column3, column4, column5 FROM `mydataset.mytable`
-- given: CREATE OR REPLACE MODEL `mydataset.my_pca_model` OPTIONS (model_type = 'pca', num_principal_components = 2) AS SELECT f1, f2, f3 FROM `mydataset.mytable`

-- case: principal_components
-- columns: principal_component_id, feature, numerical_value, categorical_value
-- equals: principal_component_id = 0
SELECT
  *
FROM
  ML.PRINCIPAL_COMPONENTS(MODEL `mydataset.mymodel`);

-- case: principal_component_info
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-principal-component-info
-- columns: principal_component_id, eigenvalue, explained_variance_ratio, cumulative_explained_variance_ratio
-- equals: principal_component_id = 0
SELECT
  *
FROM
  ML.PRINCIPAL_COMPONENT_INFO(MODEL `mydataset.mymodel`);

-- case: detect_anomalies
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-detect-anomalies
-- columns: is_anomaly, mean_squared_error, label, custom_label, column1, column2, column3, column4, column5, input_column1, input_column2, input_col, mylabel, features, f1, f2, f3, split_col, timestamp, init_col
SELECT
  *
FROM
  ML.DETECT_ANOMALIES(MODEL `mydataset.my_pca_model`,
    STRUCT(0.1 AS contamination),
    TABLE `mydataset.mytable`);

-- case: predict_keep_original_columns
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-predict
-- columns: principal_component_1, principal_component_2, f1, f2, f3
-- adapted: the page documents KEEP_ORIGINAL_COLUMNS for PCA models; the statement is the page's syntax on this PCA model
SELECT
  *
FROM
  ML.PREDICT(MODEL `mydataset.my_pca_model`,
    (SELECT f1, f2, f3 FROM `mydataset.mytable`),
    STRUCT(TRUE AS keep_original_columns));

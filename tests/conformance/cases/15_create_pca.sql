-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-create-pca
-- adapted (every case): `project_id.mydataset.mytable` -> `mydataset.mytable` (the local placeholder table); models renamed

-- case: pca_four_components
-- columns: none
-- adapted: model name `project_id.mydataset.mymodel` -> `mydataset.pca_model`
CREATE MODEL `mydataset.pca_model`
  OPTIONS ( MODEL_TYPE='PCA',
    NUM_PRINCIPAL_COMPONENTS=4 ) AS
SELECT
  *
FROM `mydataset.mytable`;

-- case: pca_explained_variance_ratio
-- columns: none
-- adapted: model name `project_id.mydataset.mymodel` -> `mydataset.pca_ratio`
CREATE MODEL `mydataset.pca_ratio`
  OPTIONS ( MODEL_TYPE='PCA',
    PCA_EXPLAINED_VARIANCE_RATIO=0.8 ) AS
SELECT
  *
FROM `mydataset.mytable`;

-- case: predict
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-predict
-- columns: principal_component_1, principal_component_2, principal_component_3, principal_component_4, column1, column2, column3, column4, label, mylabel, split_col, timestamp, init_col
SELECT
  *
FROM
  ML.PREDICT(MODEL `mydataset.pca_model`,
    TABLE `mydataset.mytable`);

-- case: evaluate
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-evaluate
-- columns: total_explained_variance_ratio
SELECT
  *
FROM
  ML.EVALUATE(MODEL `mydataset.pca_model`);

-- case: principal_components
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-principal-components
-- columns: principal_component_id, feature, numerical_value, categorical_value
-- equals: principal_component_id = 0
SELECT
  *
FROM
  ML.PRINCIPAL_COMPONENTS(MODEL `mydataset.pca_model`);

-- case: principal_component_info
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-principal-component-info
-- columns: principal_component_id, eigenvalue, explained_variance_ratio, cumulative_explained_variance_ratio
-- equals: principal_component_id = 0
SELECT
  *
FROM
  ML.PRINCIPAL_COMPONENT_INFO(MODEL `mydataset.pca_model`);

-- case: detect_anomalies
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-detect-anomalies
-- columns: is_anomaly, mean_squared_error, column1, column2, column3, column4, label, mylabel, split_col, timestamp, init_col
-- adapted: model name `mydataset.my_pca_model` -> `mydataset.pca_model`
SELECT
  *
FROM
  ML.DETECT_ANOMALIES(MODEL `mydataset.pca_model`,
    STRUCT(0.1 AS contamination),
    TABLE `mydataset.mytable`);

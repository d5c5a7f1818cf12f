-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-create-pca
-- adapted (every case): `bigquery-public-data.ml_datasets.iris` -> `ml_datasets.iris`; each `mydataset.mymodel` gets its own name

-- case: four_principal_components
-- columns: none
-- adapted: model name -> `mydataset.pca_model`
CREATE MODEL
  `mydataset.pca_model`
OPTIONS
  ( MODEL_TYPE='PCA',
    NUM_PRINCIPAL_COMPONENTS=4 ) AS
SELECT
  *
FROM `mydataset.mytable`;

-- case: iris_pca
-- columns: none
CREATE MODEL
  `mydataset.iris_pca`
OPTIONS
  ( MODEL_TYPE='PCA',
    NUM_PRINCIPAL_COMPONENTS=2,
    SCALE_FEATURES=FALSE ) AS
SELECT
  sepal_length,
  sepal_width,
  petal_length,
  petal_width
FROM `ml_datasets.iris`;

-- case: iris_logistic_on_components
-- columns: none
CREATE MODEL
  `mydataset.iris_logistic`
OPTIONS
  ( MODEL_TYPE='LOGISTIC_REG',
    INPUT_LABEL_COLS=['species'] ) AS
SELECT
  *
FROM
  ML.PREDICT(
    MODEL `mydataset.iris_pca`,
    (
      SELECT
        sepal_length,
        sepal_width,
        petal_length,
        petal_width,
        species
      FROM `ml_datasets.iris`
    )
  );

-- case: explained_variance_ratio
-- columns: none
-- adapted: model name -> `mydataset.pca_ratio`
CREATE MODEL
  `mydataset.pca_ratio`
OPTIONS
  ( MODEL_TYPE='PCA',
    PCA_EXPLAINED_VARIANCE_RATIO=0.8 ) AS
SELECT
  *
FROM
  `mydataset.mytable`;

-- case: predict
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-predict
-- columns: principal_component_1, principal_component_2, principal_component_3, principal_component_4
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

-- case: evaluate_iris_logistic
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-evaluate
-- columns: precision, recall, accuracy, f1_score, log_loss, roc_auc
SELECT
  *
FROM
  ML.EVALUATE(MODEL `mydataset.iris_logistic`);

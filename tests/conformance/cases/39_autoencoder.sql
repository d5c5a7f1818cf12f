-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-create-autoencoder
-- adapted (every case): `project_id.mydataset.mytable` -> `mydataset.mytable` (the local placeholder table);
-- `bigquery-public-data.ml_datasets.ulb_fraud_detection` -> `ml_datasets.ulb_fraud_detection` (its stand-in)
-- The function pages' examples read an autoencoder `mydataset.mymodel` of four columns and the PCA model `mydataset.my_pca_model`:
-- given: CREATE OR REPLACE MODEL `mydataset.recon_model` OPTIONS (model_type = 'autoencoder', hidden_units = [4, 2, 4], max_iterations = 5) AS SELECT column1, column2, column3, column4 FROM `mydataset.mytable`
-- given: CREATE OR REPLACE MODEL `mydataset.my_pca_model` OPTIONS (model_type = 'pca', num_principal_components = 2) AS SELECT f1, f2, f3 FROM `mydataset.mytable`

-- case: create_autoencoder
-- columns: none
-- adapted: model name `project_id.mydataset.mymodel` -> `mydataset.my_autoencoder_model` (the model the function pages read)
CREATE MODEL `mydataset.my_autoencoder_model`
OPTIONS(MODEL_TYPE='AUTOENCODER',
        ACTIVATION_FN = 'RELU',
        BATCH_SIZE = 16,
        DROPOUT = 0.1,
        EARLY_STOP = FALSE,
        HIDDEN_UNITS = [128, 64, 8, 64, 128],
        LEARN_RATE=0.001,
        MAX_ITERATIONS = 50,
        OPTIMIZER = 'ADAGRAD')
AS SELECT * FROM `mydataset.mytable`;

-- case: evaluate
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-evaluate
-- columns: mean_absolute_error, mean_squared_error, mean_squared_log_error
-- types: FLOAT64, FLOAT64, FLOAT64
-- rows: 1
-- holds: bool_and(mean_squared_error > 0 AND mean_absolute_error > 0 AND mean_squared_log_error >= 0)
-- adapted: the page's `ML.EVALUATE` with no input data, on the autoencoder above
SELECT
  *
FROM
  ML.EVALUATE(MODEL `mydataset.my_autoencoder_model`);

-- case: reconstruction_loss
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-reconstruction-loss
-- columns: mean_absolute_error, mean_squared_error, mean_squared_log_error, column1, column2, column3, column4
-- types: FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64
-- rows: 200
-- adapted: `mydataset.mymodel` -> `mydataset.recon_model`, an autoencoder of the four columns the query gives
SELECT *
FROM ML.RECONSTRUCTION_LOSS(
  MODEL `mydataset.recon_model`,
  (SELECT column1,
          column2,
          column3,
          column4
   FROM `mydataset.mytable`)
)

-- case: detect_anomalies
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-detect-anomalies
-- columns: is_anomaly, mean_squared_error, label, custom_label, column1, column2, column3, column4, column5, input_column1, input_column2, input_col, mylabel, features, f1, f2, f3, split_col, timestamp, init_col
-- rows: 200
-- holds: count(*) FILTER (is_anomaly) BETWEEN 10 AND 30
SELECT
  *
FROM
  ML.DETECT_ANOMALIES(MODEL `mydataset.my_autoencoder_model`,
    STRUCT(0.1 AS contamination),
    TABLE `mydataset.mytable`)

-- case: predict_latent_columns
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-predict
-- columns: latent_col_1, latent_col_2, column1, column2, column3, column4
-- types: FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64
-- rows: 200
-- adapted: the page's `ML.PREDICT` example (its autoencoder output: `latent_col_<index>`, then the input columns) on the autoencoder above
SELECT
  *
FROM
  ML.PREDICT(MODEL `mydataset.recon_model`,
    (
    SELECT
      column1,
      column2,
      column3,
      column4
    FROM
      `mydataset.mytable`))

-- case: create_embedding_autoencoder
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-generate-embedding
-- columns: none
CREATE OR REPLACE MODEL `mydataset.my_autoencoder_model`
  OPTIONS (
    model_type = 'autoencoder',
    activation_fn = 'relu',
    batch_size = 8,
    dropout = 0.2,
    hidden_units =
      [
        32,
        16,
        4,
        16,
        32],
    learn_rate = 0.001,
    l1_reg_activation = 0.0001,
    max_iterations = 10,
    optimizer = 'adam')
AS
SELECT * EXCEPT (
    Time,
    Class)
FROM
  `ml_datasets.ulb_fraud_detection`;

-- case: generate_embedding_autoencoder
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-generate-embedding
-- columns: ml_generate_embedding_result, Time, V1, V2, V3, V4, V5, V6, V7, V8, V9, V10, V11, V12, V13, V14, V15, V16, V17, V18, V19, V20, V21, V22, V23, V24, V25, V26, V27, V28, Amount, Class
-- rows: 1000
-- holds: bool_and(len(ml_generate_embedding_result) = 4)
SELECT
  *
FROM
  ML.GENERATE_EMBEDDING(
    MODEL `mydataset.my_autoencoder_model`,
    TABLE `ml_datasets.ulb_fraud_detection`);

-- case: generate_embedding_pca
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-generate-embedding
-- columns: ml_generate_embedding_result, f1, f2, f3
-- types: ARRAY<FLOAT64>, FLOAT64, STRING, FLOAT64
-- rows: 200
-- holds: bool_and(len(ml_generate_embedding_result) = 2)
-- adapted: the page's PCA example reads `bigquery-public-data.new_york_trees.tree_census_2015`, which has no stand-in: the same call on the PCA model of the PCA function pages
SELECT *
FROM
  ML.GENERATE_EMBEDDING(
    MODEL `mydataset.my_pca_model`,
(
  SELECT
    f1,
    f2,
    f3
  FROM
    `mydataset.mytable`
));

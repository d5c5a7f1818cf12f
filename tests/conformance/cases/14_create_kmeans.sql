-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-create-kmeans
-- adapted (every case): each example's `mydataset.mymodel` gets its own name; `mydataset.mytable` is the local placeholder table

-- case: kmeans_four_clusters
-- columns: none
-- adapted: model name -> `mydataset.kmeans_model`
CREATE MODEL
  `mydataset.kmeans_model`
OPTIONS
  ( MODEL_TYPE='KMEANS',
    NUM_CLUSTERS=4 ) AS
SELECT
  *
FROM
  `mydataset.mytable`;

-- case: kmeans_random_init
-- columns: none
-- adapted: model name -> `mydataset.kmeans_random`
CREATE MODEL
  `mydataset.kmeans_random`
OPTIONS
  ( MODEL_TYPE='KMEANS',
    NUM_CLUSTERS=3,
    KMEANS_INIT_METHOD='RANDOM') AS
SELECT
  *
FROM
  `mydataset.mytable`;

-- case: kmeans_custom_init
-- columns: none
-- adapted: model name -> `mydataset.kmeans_custom`
CREATE MODEL
  `mydataset.kmeans_custom`
OPTIONS
  ( MODEL_TYPE='KMEANS',
    NUM_CLUSTERS=3,
    KMEANS_INIT_METHOD='CUSTOM',
    KMEANS_INIT_COL='init_col') AS
SELECT
  init_col,
  features
FROM
  `mydataset.mytable`;

-- case: kmeans_hyperparameter_tuning
-- columns: none
-- adapted: model name -> `mydataset.kmeans_tuned`
CREATE MODEL
  `mydataset.kmeans_tuned`
OPTIONS
  ( MODEL_TYPE='KMEANS',
    num_trials=10,
    max_parallel_trials=2,
    HPARAM_TUNING_OBJECTIVES=['DAVIES_BOULDIN_INDEX'] ) AS
SELECT
  *
FROM
  `mydataset.mytable`;

-- case: predict
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-predict
-- adapted: the page's output list writes centroid_id and nearest_centroids_distance; BigQuery returns them upper case
-- (BigQuery DataFrames' system tests read predictions["CENTROID_ID"]: googleapis/python-bigquery-dataframes
-- tests/system/small/ml/test_cluster.py), and so does sqlml; GoogleSQL and DuckDB match names case-insensitively
-- columns: CENTROID_ID, NEAREST_CENTROIDS_DISTANCE, label, custom_label, column1, column2, column3, column4, column5, input_column1, input_column2, input_col, mylabel, features, f1, f2, f3, split_col, timestamp, init_col
SELECT
  *
FROM
  ML.PREDICT(MODEL `mydataset.kmeans_model`,
    TABLE `mydataset.mytable`);

-- case: evaluate
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-evaluate
-- columns: davies_bouldin_index, mean_squared_distance
SELECT
  *
FROM
  ML.EVALUATE(MODEL `mydataset.kmeans_model`);

-- case: evaluate_tuned
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-evaluate
-- columns: trial_id, davies_bouldin_index, mean_squared_distance
SELECT
  *
FROM
  ML.EVALUATE(MODEL `mydataset.kmeans_tuned`);

-- case: training_info
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-train
-- columns: training_run, iteration, loss, learning_rate, duration_ms, cluster_info
SELECT
  *
FROM
  ML.TRAINING_INFO(MODEL `mydataset.kmeans_model`);

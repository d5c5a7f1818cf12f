-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-create-kmeans
-- adapted (every case): the page's `mydataset.mytable` is the local placeholder table; models renamed per case

-- case: kmeans_four_clusters
-- columns: none
-- adapted: model name `mydataset.mymodel` -> `mydataset.kmeans_model`
CREATE MODEL
  `mydataset.kmeans_model`
OPTIONS
  ( MODEL_TYPE='KMEANS',
    NUM_CLUSTERS=4 ) AS
SELECT
  *
FROM
  `mydataset.mytable`;

-- case: kmeans_custom_init
-- columns: none
-- adapted: model name `mydataset.mymodel` -> `mydataset.kmeans_custom`
CREATE MODEL
  `mydataset.kmeans_custom`
OPTIONS
  ( MODEL_TYPE='KMEANS',
    NUM_CLUSTERS=4,
    KMEANS_INIT_METHOD='CUSTOM',
    KMEANS_INIT_COL='init_col' ) AS
SELECT
  init_col,
  column1,
  column2,
  column3
FROM
  `mydataset.mytable`;

-- case: predict
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-predict
-- columns: centroid_id, nearest_centroids_distance, column1, column2, column3, column4, label, mylabel, split_col, timestamp, init_col
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

-- case: training_info
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-train
-- columns: training_run, iteration, loss, duration_ms, cluster_info
SELECT
  *
FROM
  ML.TRAINING_INFO(MODEL `mydataset.kmeans_model`);

-- case: centroids
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-centroids
-- columns: centroid_id, feature, numerical_value, categorical_value, geography_value
SELECT
  *
FROM
  ML.CENTROIDS(MODEL `mydataset.kmeans_model`);

-- case: centroids_standardized
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-centroids
-- columns: centroid_id, feature, numerical_value, categorical_value, geography_value
SELECT
  *
FROM
  ML.CENTROIDS(MODEL `mydataset.kmeans_model`,
    STRUCT(TRUE AS standardize));

-- case: detect_anomalies
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-detect-anomalies
-- columns: is_anomaly, normalized_distance, centroid_id, column1, column2, column3, column4, label, mylabel, split_col, timestamp, init_col
-- adapted: model name `mydataset.my_kmeans_model` -> `mydataset.kmeans_model`
SELECT
  *
FROM
  ML.DETECT_ANOMALIES(MODEL `mydataset.kmeans_model`,
    STRUCT(0.02 AS contamination),
    TABLE `mydataset.mytable`);

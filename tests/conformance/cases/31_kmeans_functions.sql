-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-centroids
-- The pages' examples read a k-means model `mydataset.my_kmeans_model` (ML.DETECT_ANOMALIES: features f1, f2):
-- given: CREATE OR REPLACE MODEL `mydataset.my_kmeans_model` OPTIONS (model_type = 'kmeans', num_clusters = 4) AS SELECT f1, f2 FROM `mydataset.mytable`

-- case: centroids
-- columns: centroid_id, feature, numerical_value, categorical_value, geography_value
SELECT
  *
FROM
  ML.CENTROIDS(MODEL `mydataset.my_kmeans_model`);

-- case: centroids_ordered
-- columns: centroid_id, feature, numerical_value, categorical_value, geography_value
-- equals: centroid_id = 1
SELECT
  *
FROM
  ML.CENTROIDS(MODEL `mydataset.my_kmeans_model`)
ORDER BY
  centroid_id;

-- case: centroids_standardized
-- columns: centroid_id, feature, numerical_value, categorical_value, geography_value
SELECT
  *
FROM
  ML.CENTROIDS(MODEL `mydataset.my_kmeans_model`,
    STRUCT(TRUE AS standardize));

-- case: detect_anomalies
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-detect-anomalies
-- columns: is_anomaly, normalized_distance, centroid_id, f1, f2
SELECT
  *
FROM
  ML.DETECT_ANOMALIES(MODEL `mydataset.my_kmeans_model`,
    STRUCT(0.2 AS contamination),
    (
      SELECT
        f1,
        f2
      FROM
        `mydataset.mytable`));

-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-validate-data-drift
-- The page compares a snapshot of the serving data with the current serving data (half of it, here):
-- given: CREATE OR REPLACE TABLE `mydataset.previous_serving_data` AS SELECT * FROM `mydataset.serving` WHERE MOD(ABS(FARM_FINGERPRINT(CAST(column1 AS STRING))), 2) = 0

-- case: validate_data_drift
-- adapted: `myproject.mydataset.previous_serving_data` and `myproject.mydataset.serving` without the project
-- columns: input, metric, threshold, value, is_anomaly
SELECT *
FROM ML.VALIDATE_DATA_DRIFT(
  TABLE `mydataset.previous_serving_data`,
  TABLE `mydataset.serving`,
  STRUCT(0.2 AS categorical_default_threshold)
);

-- page: https://cloud.google.com/bigquery/docs/hp-tuning-tutorial
-- adapted (every case): `bigquery-public-data.new_york_taxi_trips.tlc_yellow_trips_2018` -> `new_york_taxi_trips.tlc_yellow_trips_2018`

-- case: create_input_table
-- columns: none
CREATE TABLE `bqml_tutorial.taxi_tip_input` AS
SELECT
  * EXCEPT(tip_amount), tip_amount AS label
FROM
  `new_york_taxi_trips.tlc_yellow_trips_2018`
WHERE
  tip_amount IS NOT NULL
LIMIT 100000;

-- case: create_model
-- columns: none
CREATE MODEL `bqml_tutorial.hp_taxi_tip_model`
OPTIONS
  (model_type='linear_reg',
   num_trials=20,
   max_parallel_trials=2) AS
SELECT
  *
FROM
  `bqml_tutorial.taxi_tip_input`;

-- case: trial_info
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-trial-info
-- columns: trial_id, hyperparameters, hparam_tuning_evaluation_metrics, training_loss, eval_loss, status, error_message, is_optimal
-- equals: trial_id = 1
SELECT *
FROM
  ML.TRIAL_INFO(MODEL `bqml_tutorial.hp_taxi_tip_model`);

-- case: evaluate
-- columns: trial_id, mean_absolute_error, mean_squared_error, mean_squared_log_error, median_absolute_error, r2_score, explained_variance
SELECT *
FROM
  ML.EVALUATE(MODEL `bqml_tutorial.hp_taxi_tip_model`);

-- case: predict
-- columns: predicted_label, vendor_id, pickup_datetime, dropoff_datetime, passenger_count, trip_distance, rate_code, store_and_fwd_flag, payment_type, fare_amount, extra, mta_tax, tolls_amount, imp_surcharge, total_amount, pickup_location_id, dropoff_location_id, label
SELECT
  *
FROM
  ML.PREDICT(MODEL `bqml_tutorial.hp_taxi_tip_model`,
    (
    SELECT
      *
    FROM
      `bqml_tutorial.taxi_tip_input`
    LIMIT 10));

-- case: predict_trial
-- columns: predicted_label, vendor_id, pickup_datetime, dropoff_datetime, passenger_count, trip_distance, rate_code, store_and_fwd_flag, payment_type, fare_amount, extra, mta_tax, tolls_amount, imp_surcharge, total_amount, pickup_location_id, dropoff_location_id, label
SELECT
  *
FROM
  ML.PREDICT(MODEL `bqml_tutorial.hp_taxi_tip_model`,
    (
    SELECT
      *
    FROM
      `bqml_tutorial.taxi_tip_input`
    LIMIT
      10),
    STRUCT(3 AS trial_id));

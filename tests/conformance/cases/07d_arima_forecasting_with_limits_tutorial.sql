-- page: https://cloud.google.com/bigquery/docs/arima-time-series-forecasting-with-limits-tutorial
-- Every statement of the tutorial: trips per day of each Citi Bike station (5 in the stand-in), forecast a year
-- ahead without and with a lower bound, each forecast next to station 79's history (UNION ALL).
-- adapted (every case): `bigquery-public-data`.new_york.citibike_trips -> new_york.citibike_trips

-- case: trips_per_day
-- columns: date, num_trips
-- rows: 823
#standardSQL
SELECT
  EXTRACT(DATE from starttime) AS date,
  COUNT(*) AS num_trips
FROM
new_york.citibike_trips
GROUP BY date

-- case: create_model
-- columns: none
#standardSQL
CREATE OR REPLACE MODEL bqml_tutorial.nyc_citibike_arima_model
  OPTIONS (
    model_type = 'ARIMA_PLUS',
    time_series_timestamp_col = 'date',
    time_series_data_col = 'num_trips',
    time_series_id_col = 'start_station_id')
AS
SELECT
  EXTRACT(DATE FROM starttime) AS date,
  COUNT(*) AS num_trips,
  start_station_id
FROM
  new_york.citibike_trips
WHERE starttime > '2014-07-11' AND starttime < '2015-02-11'
GROUP BY date, start_station_id;

-- case: forecast_with_history
-- columns: forecast_timestamp, start_station_id, history_value, forecast_value
-- types: DATE, INT64, INT64, FLOAT64
-- holds: count(forecast_value) = 365 AND count(history_value) > 150 AND count(*) = count(history_value) + 365
-- holds: bool_and(start_station_id = 79)
-- holds: max(forecast_timestamp) FILTER (history_value IS NOT NULL) < min(forecast_timestamp) FILTER (forecast_value IS NOT NULL)
#standardSQL
SELECT
forecast_timestamp AS forecast_timestamp,
start_station_id AS start_station_id,
history_value AS history_value,
forecast_value AS forecast_value
FROM
(
  (
     SELECT
     DATE(forecast_timestamp) AS forecast_timestamp,
     NULL AS history_value,
     forecast_value AS forecast_value,
     start_station_id AS start_station_id,
     FROM
     ML.FORECAST(
        MODEL bqml_tutorial.`nyc_citibike_arima_model`,
        STRUCT(
           365 AS horizon,
           0.9 AS confidence_level))
  )
  UNION ALL
  (
     SELECT
     DATE(date_name) AS forecast_timestamp,
     num_trips AS history_value,
     NULL AS forecast_value,
     start_station_id AS start_station_id,
     FROM
     (
        SELECT
           EXTRACT(DATE FROM starttime) AS date_name,
           COUNT(*) AS num_trips,
           start_station_id AS start_station_id
        FROM
           new_york.citibike_trips
        WHERE
           starttime > '2014-07-11'
           AND starttime < '2015-02-11'
        GROUP BY
           date_name, start_station_id
     )
  )
)
WHERE start_station_id = 79
ORDER BY
forecast_timestamp, start_station_id

-- case: create_model_with_limits
-- columns: none
#standardSQL
CREATE OR REPLACE MODEL bqml_tutorial.nyc_citibike_arima_model
  OPTIONS (
    model_type = 'ARIMA_PLUS',
    time_series_timestamp_col = 'date',
    time_series_data_col = 'num_trips',
    time_series_id_col = 'start_station_id',
    forecast_limit_lower_bound = 0)
AS
SELECT
  EXTRACT(DATE FROM starttime) AS date,
  COUNT(*) AS num_trips,
  start_station_id
FROM
  new_york.citibike_trips
WHERE starttime > '2014-07-11' AND starttime < '2015-02-11'
GROUP BY date, start_station_id;

-- case: forecast_with_limits_and_history
-- columns: forecast_timestamp, start_station_id, history_value, forecast_value
-- holds: count(forecast_value) = 365 AND bool_and(forecast_value > 0)
#standardSQL
SELECT
forecast_timestamp AS forecast_timestamp,
start_station_id AS start_station_id,
history_value AS history_value,
forecast_value AS forecast_value
FROM
(
  (
     SELECT
     DATE(forecast_timestamp) AS forecast_timestamp,
     NULL AS history_value,
     forecast_value AS forecast_value,
     start_station_id AS start_station_id,
     FROM
     ML.FORECAST(
        MODEL bqml_tutorial.`nyc_citibike_arima_model`,
        STRUCT(
           365 AS horizon,
           0.9 AS confidence_level))
  )
  UNION ALL
  (
     SELECT
     DATE(date_name) AS forecast_timestamp,
     num_trips AS history_value,
     NULL AS forecast_value,
     start_station_id AS start_station_id,
     FROM
     (
        SELECT
           EXTRACT(DATE FROM starttime) AS date_name,
           COUNT(*) AS num_trips,
           start_station_id AS start_station_id
        FROM
           new_york.citibike_trips
        WHERE
           starttime > '2014-07-11'
           AND starttime < '2015-02-11'
        GROUP BY
           date_name, start_station_id
     )
  )
)
WHERE start_station_id = 79
ORDER BY
forecast_timestamp, start_station_id

-- page: https://cloud.google.com/bigquery/docs/time-series-anomaly-detection-tutorial
-- Every statement of the tutorial: anomalies in Seattle's daily temperature, from an ARIMA_PLUS_XREG model with
-- PM2.5 and wind speed as regressors, over its history and over ten new days.
-- adapted (every case): `bigquery-public-data.epa_historical_air_quality.*` -> `epa_historical_air_quality.*`

-- case: create_table
-- adapted: CREATE TABLE -> CREATE OR REPLACE TABLE: the ARIMA_PLUS_XREG tutorial's case made the same table in this database
-- columns: none
CREATE OR REPLACE TABLE `bqml_tutorial.seattle_air_quality_daily`
AS
WITH
  pm25_daily AS (
    SELECT
      avg(arithmetic_mean) AS pm25, date_local AS date
    FROM
      `epa_historical_air_quality.pm25_nonfrm_daily_summary`
    WHERE
      city_name = 'Seattle'
      AND parameter_name = 'Acceptable PM2.5 AQI & Speciation Mass'
    GROUP BY date_local
  ),
  wind_speed_daily AS (
    SELECT
      avg(arithmetic_mean) AS wind_speed, date_local AS date
    FROM
      `epa_historical_air_quality.wind_daily_summary`
    WHERE
      city_name = 'Seattle' AND parameter_name = 'Wind Speed - Resultant'
    GROUP BY date_local
  ),
  temperature_daily AS (
    SELECT
      avg(first_max_value) AS temperature, date_local AS date
    FROM
      `epa_historical_air_quality.temperature_daily_summary`
    WHERE
      city_name = 'Seattle' AND parameter_name = 'Outdoor Temperature'
    GROUP BY date_local
  )
SELECT
  pm25_daily.date AS date, pm25, wind_speed, temperature
FROM pm25_daily
JOIN wind_speed_daily USING (date)
JOIN temperature_daily USING (date)

-- case: create_model
-- columns: none
CREATE OR REPLACE MODEL `bqml_tutorial.arimax_model`
  OPTIONS (
    model_type = 'ARIMA_PLUS_XREG',
    auto_arima=TRUE,
    time_series_data_col = 'temperature',
    time_series_timestamp_col = 'date'
    )
AS
SELECT
  *
FROM
  `bqml_tutorial.seattle_air_quality_daily`
WHERE
  date < "2023-02-01";

-- case: detect_anomalies_in_history
-- columns: date, temperature, is_anomaly, lower_bound, upper_bound, anomaly_probability
-- types: TIMESTAMP, FLOAT64, BOOL, FLOAT64, FLOAT64, FLOAT64
-- rows: 1127
-- holds: min(date) = TIMESTAMP '2020-01-01' AND max(date) = TIMESTAMP '2023-01-31' AND list(date) = list_sort(list(date))
-- holds: bool_and(is_anomaly = (anomaly_probability > 0.6)) AND bool_and(lower_bound < upper_bound)
-- holds: bool_and(temperature < lower_bound OR temperature > upper_bound) FILTER (is_anomaly)
-- holds: bool_and(temperature BETWEEN lower_bound AND upper_bound) FILTER (NOT is_anomaly)
SELECT
  *
FROM
  ML.DETECT_ANOMALIES (
   MODEL `bqml_tutorial.arimax_model`,
   STRUCT(0.6 AS anomaly_prob_threshold)
  )
ORDER BY
  date ASC;

-- case: detect_anomalies_in_new_data
-- columns: date, temperature, is_anomaly, lower_bound, upper_bound, anomaly_probability, pm25, wind_speed
-- types: TIMESTAMP, FLOAT64, BOOL, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64
-- rows: 10
-- holds: bool_and(is_anomaly IS NOT NULL) AND bool_and(is_anomaly = (anomaly_probability > 0.6))
-- holds: bool_and(temperature < lower_bound OR temperature > upper_bound) FILTER (is_anomaly)
-- holds: first(pm25) = 8.8166665 AND first(wind_speed) = 1.6525
SELECT
  *
FROM
  ML.DETECT_ANOMALIES (
   MODEL `bqml_tutorial.arimax_model`,
   STRUCT(0.6 AS anomaly_prob_threshold),
   (
     SELECT
       *
     FROM
       UNNEST(
         [
           STRUCT<date TIMESTAMP, pm25 FLOAT64, wind_speed FLOAT64, temperature FLOAT64>
           ('2023-02-01 00:00:00 UTC', 8.8166665, 1.6525, 44.0),
           ('2023-02-02 00:00:00 UTC', 11.8354165, 1.558333, 40.5),
           ('2023-02-03 00:00:00 UTC', 10.1395835, 1.6895835, 46.5),
           ('2023-02-04 00:00:00 UTC', 11.439583500000001, 2.0854165, 45.0),
           ('2023-02-05 00:00:00 UTC', 9.7208335, 1.7083335, 46.0),
           ('2023-02-06 00:00:00 UTC', 13.3020835, 2.23125, 43.5),
           ('2023-02-07 00:00:00 UTC', 5.7229165, 2.377083, 47.5),
           ('2023-02-08 00:00:00 UTC', 7.6291665, 2.24375, 44.5),
           ('2023-02-09 00:00:00 UTC', 8.5208335, 2.2541665, 40.5),
           ('2023-02-10 00:00:00 UTC', 9.9086955, 7.333335, 39.5)
         ]
       )
     )
   );

-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-detect-anomalies
-- The page's time series examples take an ARIMA_PLUS model `mydataset.my_arima_plus_model` of temperatures by
-- state and city (trained here on 2020: the table also holds January 2021), and an ARIMA_PLUS_XREG model of one
-- city's temperature:
-- given: CREATE OR REPLACE MODEL `mydataset.my_arima_plus_model` OPTIONS (model_type = 'ARIMA_PLUS', time_series_timestamp_col = 'date', time_series_data_col = 'temperature', time_series_id_col = ['state', 'city'], horizon = 60) AS SELECT state, city, date, temperature FROM `mydataset.my_time_series_data_table` WHERE date < '2021-01-01'
-- given: CREATE OR REPLACE MODEL `mydataset.my_arima_plus_xreg_model` OPTIONS (model_type = 'ARIMA_PLUS_XREG', time_series_timestamp_col = 'date', time_series_data_col = 'temperature', horizon = 60) AS SELECT date, temperature, weather = 'sunny' AS sunny FROM `mydataset.my_time_series_data_table` WHERE city = 'Seattle' AND date < '2021-01-01'

-- case: history
-- columns: state, city, date, temperature, is_anomaly, lower_bound, upper_bound, anomaly_probability
-- types: STRING, STRING, TIMESTAMP, FLOAT64, BOOL, FLOAT64, FLOAT64, FLOAT64
-- rows: 732
-- holds: bool_and(is_anomaly = (anomaly_probability > 0.95))
-- holds: bool_and(is_anomaly) FILTER (date = TIMESTAMP '2020-07-14') AND count(*) FILTER (is_anomaly) < 0.1 * count(*)
SELECT
  *
FROM
  ML.DETECT_ANOMALIES(MODEL `mydataset.my_arima_plus_model`)

-- case: history_threshold
-- columns: state, city, date, temperature, is_anomaly, lower_bound, upper_bound, anomaly_probability
-- rows: 732
-- holds: bool_and(is_anomaly = (anomaly_probability > 0.8))
SELECT
  *
FROM
  ML.DETECT_ANOMALIES(MODEL `mydataset.my_arima_plus_model`,
    STRUCT(0.8 AS anomaly_prob_threshold))

-- case: new_data_query
-- columns: state, city, date, temperature, is_anomaly, lower_bound, upper_bound, anomaly_probability, weather
-- types: STRING, STRING, TIMESTAMP, FLOAT64, BOOL, FLOAT64, FLOAT64, FLOAT64, STRING
-- rows: 794
-- holds: count(is_anomaly) FILTER (date >= TIMESTAMP '2021-01-01') = 62
-- holds: bool_and(is_anomaly) FILTER (date = TIMESTAMP '2021-01-05') AND count(*) FILTER (is_anomaly AND date >= TIMESTAMP '2021-01-01') < 10
SELECT
  *
FROM
  ML.DETECT_ANOMALIES(MODEL `mydataset.my_arima_plus_model`,
    STRUCT(0.9 AS anomaly_prob_threshold),
    (
      SELECT
        state, city, date, temperature, weather
      FROM
        `mydataset.my_time_series_data_table`))

-- case: new_data_table
-- columns: state, city, date, temperature, is_anomaly, lower_bound, upper_bound, anomaly_probability, weather
-- rows: 794
-- holds: count(is_anomaly) FILTER (date >= TIMESTAMP '2021-01-01') = 62
SELECT
  *
FROM
  ML.DETECT_ANOMALIES(MODEL `mydataset.my_arima_plus_model`,
    STRUCT(0.9 AS anomaly_prob_threshold),
    TABLE `mydataset.my_time_series_data_table`)

-- case: xreg_history
-- adapted: model `mydataset.my arima_plus_xreg_model` -> `mydataset.my_arima_plus_xreg_model` (a space is no part of a model name)
-- columns: date, temperature, is_anomaly, lower_bound, upper_bound, anomaly_probability
-- rows: 366
-- holds: list(date) = list_sort(list(date)) AND bool_and(is_anomaly = (anomaly_probability > 0.6))
SELECT
  *
FROM
  ML.DETECT_ANOMALIES (
   MODEL `mydataset.my_arima_plus_xreg_model`,
   STRUCT(0.6 AS anomaly_prob_threshold)
  )
ORDER BY
  date ASC

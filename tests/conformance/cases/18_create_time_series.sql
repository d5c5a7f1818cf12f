-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-create-time-series
-- The page's examples: one series, many series (one id column, two), and the faster trend fits.
-- adapted (every case): `project_id.mydataset.mymodel` -> `mydataset.<the case's name>`; `mydataset.mytable` -> `mydataset.mytimeseries` (the time series placeholder table: the classification one has no `date`, `transaction`)

-- case: arima_plus_single_series
-- columns: none
CREATE MODEL `mydataset.arima_plus_single_series`
 OPTIONS(MODEL_TYPE='ARIMA_PLUS',
         time_series_timestamp_col='date',
         time_series_data_col='transaction') AS
SELECT
  date,
  transaction
FROM
  `mydataset.mytimeseries`

-- case: arima_plus_single_series_forecast
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-forecast
-- adapted: ML.FORECAST without its STRUCT (the syntax's defaults: horizon 3, confidence_level 0.95)
-- columns: forecast_timestamp, forecast_value, standard_error, confidence_level, prediction_interval_lower_bound, prediction_interval_upper_bound, confidence_interval_lower_bound, confidence_interval_upper_bound
-- rows: 3
-- holds: bool_and(confidence_level = 0.95) AND list(forecast_timestamp ORDER BY forecast_timestamp) = [TIMESTAMP '2023-07-20', TIMESTAMP '2023-07-21', TIMESTAMP '2023-07-22']
SELECT * FROM ML.FORECAST(MODEL `mydataset.arima_plus_single_series`)

-- case: arima_plus_multiple_series
-- columns: none
CREATE MODEL `mydataset.arima_plus_multiple_series`
 OPTIONS(MODEL_TYPE='ARIMA_PLUS',
         time_series_timestamp_col='date',
         time_series_data_col='transaction',
         time_series_id_col='company_name') AS
SELECT
  date,
  transaction,
  company_name
FROM
  `mydataset.mytimeseries`

-- case: arima_plus_multiple_series_forecast
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-forecast
-- adapted: ML.FORECAST without its STRUCT (the syntax's defaults: horizon 3, confidence_level 0.95)
-- columns: company_name, forecast_timestamp, forecast_value, standard_error, confidence_level, prediction_interval_lower_bound, prediction_interval_upper_bound, confidence_interval_lower_bound, confidence_interval_upper_bound
-- types: STRING, TIMESTAMP, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64
-- rows: 6
-- holds: list(DISTINCT company_name ORDER BY company_name) = ['Alphabet', 'Cymbal']
-- holds: max(forecast_timestamp) FILTER (company_name = 'Alphabet') = TIMESTAMP '2023-04-13'
SELECT * FROM ML.FORECAST(MODEL `mydataset.arima_plus_multiple_series`)

-- case: arima_plus_multiple_id_columns
-- columns: none
CREATE MODEL `mydataset.arima_plus_multiple_id_columns`
 OPTIONS(MODEL_TYPE='ARIMA_PLUS',
         time_series_timestamp_col='date',
         time_series_data_col='transaction',
         time_series_id_col=['company_name', 'department_name']) AS
SELECT
  date,
  transaction,
  company_name,
  department_name
FROM
  `mydataset.mytimeseries`

-- case: arima_plus_multiple_id_columns_coefficients
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-arima-coefficients
-- columns: company_name, department_name, ar_coefficients, ma_coefficients, intercept_or_drift
-- rows: 4
SELECT * FROM ML.ARIMA_COEFFICIENTS(MODEL `mydataset.arima_plus_multiple_id_columns`)

-- case: arima_plus_length_fraction
-- columns: none
CREATE MODEL `mydataset.arima_plus_length_fraction`
 OPTIONS(MODEL_TYPE='ARIMA_PLUS',
         time_series_timestamp_col='date',
         time_series_data_col='transaction',
         time_series_length_fraction=0.5,
         min_time_series_length=30) AS
SELECT
  date,
  transaction
FROM
  `mydataset.mytimeseries`

-- case: arima_plus_max_length
-- columns: none
CREATE MODEL `mydataset.arima_plus_max_length`
 OPTIONS(MODEL_TYPE='ARIMA_PLUS',
         time_series_timestamp_col='date',
         time_series_data_col='transaction',
         max_time_series_length=50) AS
SELECT
  date,
  transaction
FROM
  `mydataset.mytimeseries`

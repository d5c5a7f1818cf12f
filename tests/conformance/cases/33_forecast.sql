-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-forecast
-- The page's examples take an ARIMA_PLUS model `mydataset.mymodel` and an ARIMA_PLUS_XREG one, trained on the
-- placeholder table's days before 2023-06-20 (170 of its 200):
-- given: CREATE OR REPLACE MODEL `mydataset.mymodel` OPTIONS (model_type = 'ARIMA_PLUS', time_series_timestamp_col = 'date', time_series_data_col = 'transaction', horizon = 60) AS SELECT date, transaction FROM `mydataset.mytimeseries` WHERE date < '2023-06-20'
-- given: CREATE OR REPLACE MODEL `mydataset.mymodel_xreg` OPTIONS (model_type = 'ARIMA_PLUS_XREG', time_series_timestamp_col = 'date', time_series_data_col = 'transaction', horizon = 60) AS SELECT date, transaction, feature1, feature2 FROM `mydataset.mytimeseries` WHERE date < '2023-06-20'

-- case: arima_plus
-- columns: forecast_timestamp, forecast_value, standard_error, confidence_level, prediction_interval_lower_bound, prediction_interval_upper_bound, confidence_interval_lower_bound, confidence_interval_upper_bound
-- types: TIMESTAMP, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64
-- rows: 30
-- holds: min(forecast_timestamp) = TIMESTAMP '2023-06-20' AND count(DISTINCT forecast_timestamp) = 30
-- holds: bool_and(confidence_level = 0.8 AND prediction_interval_lower_bound < forecast_value AND forecast_value < prediction_interval_upper_bound)
-- holds: bool_and(abs(forecast_value - (prediction_interval_lower_bound + prediction_interval_upper_bound) / 2) < 1e-6)
SELECT
  *
FROM
  ML.FORECAST(MODEL `mydataset.mymodel`,
    STRUCT(30 AS horizon, 0.8 AS confidence_level))

-- case: arima_plus_xreg
-- adapted: model `mydataset.mymodel` -> `mydataset.mymodel_xreg` (the page's ARIMA_PLUS_XREG model); `mydataset.mytable` -> `mydataset.mytimeseries`
-- columns: forecast_timestamp, forecast_value, standard_error, confidence_level, prediction_interval_lower_bound, prediction_interval_upper_bound, confidence_interval_lower_bound, confidence_interval_upper_bound
-- rows: 30
-- holds: min(forecast_timestamp) = TIMESTAMP '2023-06-20' AND max(forecast_timestamp) = TIMESTAMP '2023-07-19'
-- holds: bool_and(prediction_interval_lower_bound < forecast_value AND forecast_value < prediction_interval_upper_bound)
SELECT
  *
FROM
  ML.FORECAST(MODEL `mydataset.mymodel_xreg`,
    STRUCT(30 AS horizon, 0.8 AS confidence_level),
    (SELECT * FROM `mydataset.mytimeseries`))

-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-arima-coefficients
-- The page's example takes an ARIMA_PLUS model `mydataset.mymodel`:
-- given: CREATE OR REPLACE MODEL `mydataset.mymodel` OPTIONS (model_type = 'ARIMA_PLUS', time_series_timestamp_col = 'date', time_series_data_col = 'transaction', horizon = 60) AS SELECT date, transaction FROM `mydataset.mytimeseries` WHERE date < '2023-06-20'

-- case: coefficients
-- columns: ar_coefficients, ma_coefficients, intercept_or_drift
-- types: ARRAY<FLOAT64>, ARRAY<FLOAT64>, FLOAT64
-- rows: 1
SELECT
  *
FROM
  ML.ARIMA_COEFFICIENTS(MODEL `mydataset.mymodel`)

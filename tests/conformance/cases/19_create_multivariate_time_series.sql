-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-create-multivariate-time-series
-- The page's examples: an ARIMA_PLUS_XREG model with two regressors, and with a faster trend fit.
-- adapted (every case): `project_id.mydataset.mymodel` -> `mydataset.<the case's name>`; `mydataset.mytable` -> `mydataset.mytimeseries` (the time series placeholder table: the classification one has no `date`, `transaction`)

-- case: arima_plus_xreg
-- columns: none
CREATE MODEL `mydataset.arima_plus_xreg`
 OPTIONS(MODEL_TYPE='ARIMA_PLUS_XREG',
         time_series_timestamp_col='date',
         time_series_data_col='transaction') AS
SELECT
  date,
  transaction,
  feature1,
  feature2
FROM
  `mydataset.mytimeseries`

-- case: arima_plus_xreg_weights
-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-arima-coefficients
-- columns: ar_coefficients, ma_coefficients, intercept_or_drift, processed_input, weight, category_weights
-- rows: 3
-- holds: abs(first(weight) FILTER (processed_input = 'feature1') - 6) < 1 AND abs(first(weight) FILTER (processed_input = 'feature2') + 4) < 1
SELECT * FROM ML.ARIMA_COEFFICIENTS(MODEL `mydataset.arima_plus_xreg`)

-- case: arima_plus_xreg_length_fraction
-- columns: none
CREATE MODEL `mydataset.arima_plus_xreg_length_fraction`
 OPTIONS(MODEL_TYPE='ARIMA_PLUS_XREG',
         time_series_timestamp_col='date',
         time_series_data_col='transaction',
         time_series_length_fraction=0.5,
         min_time_series_length=30) AS
SELECT
  date,
  transaction,
  feature1,
  feature2
FROM
  `mydataset.mytimeseries`

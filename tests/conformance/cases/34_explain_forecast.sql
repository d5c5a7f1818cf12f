-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-explain-forecast
-- The page's examples take an ARIMA_PLUS model `mydataset.mymodel` and an ARIMA_PLUS_XREG one, trained on the
-- placeholder table's days before 2023-06-20 (170 of its 200):
-- given: CREATE OR REPLACE MODEL `mydataset.mymodel` OPTIONS (model_type = 'ARIMA_PLUS', time_series_timestamp_col = 'date', time_series_data_col = 'transaction', horizon = 60) AS SELECT date, transaction FROM `mydataset.mytimeseries` WHERE date < '2023-06-20'
-- given: CREATE OR REPLACE MODEL `mydataset.mymodel_xreg` OPTIONS (model_type = 'ARIMA_PLUS_XREG', time_series_timestamp_col = 'date', time_series_data_col = 'transaction', horizon = 60) AS SELECT date, transaction, feature1, feature2 FROM `mydataset.mytimeseries` WHERE date < '2023-06-20'

-- case: arima_plus
-- columns: time_series_timestamp, time_series_type, time_series_data, time_series_adjusted_data, standard_error, confidence_level, prediction_interval_lower_bound, prediction_interval_upper_bound, trend, seasonal_period_yearly, seasonal_period_quarterly, seasonal_period_monthly, seasonal_period_weekly, seasonal_period_daily, holiday_effect, spikes_and_dips, step_changes, residual
-- rows: 200
-- holds: count(*) FILTER (time_series_type = 'history') = 170 AND count(*) FILTER (time_series_type = 'forecast') = 30
-- holds: bool_and(time_series_adjusted_data = time_series_data) FILTER (time_series_type = 'forecast')
-- holds: bool_and(residual IS NULL AND spikes_and_dips IS NULL AND step_changes IS NULL) FILTER (time_series_type = 'forecast')
-- holds: count(seasonal_period_weekly) = 200 AND count(seasonal_period_yearly) = 0
SELECT
  *
FROM
  ML.EXPLAIN_FORECAST(MODEL `mydataset.mymodel`,
    STRUCT(30 AS horizon, 0.8 AS confidence_level))

-- case: arima_plus_xreg
-- adapted: model `mydataset.mymodel` -> `mydataset.mymodel_xreg` (the page's ARIMA_PLUS_XREG model); `mydataset.mytable` -> `mydataset.mytimeseries`
-- columns: time_series_timestamp, time_series_type, time_series_data, time_series_adjusted_data, standard_error, confidence_level, prediction_interval_lower_bound, prediction_interval_upper_bound, trend, seasonal_period_yearly, seasonal_period_quarterly, seasonal_period_monthly, seasonal_period_weekly, seasonal_period_daily, holiday_effect, spikes_and_dips, step_changes, residual, attribution_feature1, attribution_feature2
-- rows: 200
-- holds: bool_and(abs(time_series_adjusted_data - (trend + coalesce(seasonal_period_weekly, 0) + coalesce(holiday_effect, 0) + attribution_feature1 + attribution_feature2)) < 1e-6)
SELECT
  *
FROM
  ML.EXPLAIN_FORECAST(MODEL `mydataset.mymodel_xreg`,
    STRUCT(30 AS horizon, 0.8 AS confidence_level),
    (SELECT * FROM `mydataset.mytimeseries`))

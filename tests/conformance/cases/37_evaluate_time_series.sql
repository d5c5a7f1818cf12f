-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-evaluate
-- The page's time series examples take an ARIMA_PLUS model `mydataset.my_arima_model` and an ARIMA_PLUS_XREG
-- model `mydataset.my_arima_xreg_model`, trained on the placeholder table's days before 2023-06-20 (170 of its 200):
-- given: CREATE OR REPLACE MODEL `mydataset.my_arima_model` OPTIONS (model_type = 'ARIMA_PLUS', time_series_timestamp_col = 'timeseries_date', time_series_data_col = 'timeseries_metric', horizon = 60) AS SELECT timeseries_date, timeseries_metric FROM `mydataset.mytimeseries` WHERE timeseries_date < '2023-06-20'
-- given: CREATE OR REPLACE MODEL `mydataset.my_arima_xreg_model` OPTIONS (model_type = 'ARIMA_PLUS_XREG', time_series_timestamp_col = 'timeseries_date', time_series_data_col = 'timeseries_metric', horizon = 60) AS SELECT timeseries_date, timeseries_metric, feature1, feature2 FROM `mydataset.mytimeseries` WHERE timeseries_date < '2023-06-20'
-- adapted (every case): `mydataset.mytable` -> `mydataset.mytimeseries` (the time series placeholder table)

-- case: aggregated
-- columns: mean_absolute_error, mean_squared_error, root_mean_squared_error, mean_absolute_percentage_error, symmetric_mean_absolute_percentage_error, mean_absolute_scaled_error
-- types: FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64
-- rows: 1
-- holds: abs(first(root_mean_squared_error) - sqrt(first(mean_squared_error))) < 1e-9
-- holds: first(mean_absolute_error) <= first(root_mean_squared_error) AND first(mean_absolute_percentage_error) BETWEEN 0 AND 100
SELECT
  *
FROM
  ML.EVALUATE(MODEL `mydataset.my_arima_model`,
    (
    SELECT
      timeseries_date,
      timeseries_metric
    FROM
      `mydataset.mytimeseries`),
    STRUCT(TRUE AS perform_aggregation, 30 AS horizon))

-- case: per_timestamp
-- columns: timeseries_date, timeseries_metric, forecasted_timeseries_metric, lower_bound, upper_bound, absolute_error, absolute_percentage_error
-- types: DATE, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64
-- rows: 200
-- holds: count(forecasted_timeseries_metric) = 30 AND bool_and(forecasted_timeseries_metric IS NULL) FILTER (timeseries_date < DATE '2023-06-20')
-- holds: bool_and(abs(absolute_error - abs(forecasted_timeseries_metric - timeseries_metric)) < 1e-9 AND lower_bound < forecasted_timeseries_metric AND forecasted_timeseries_metric < upper_bound)
-- holds: bool_and(abs(absolute_percentage_error - absolute_error / abs(timeseries_metric) * 100) < 1e-6)
SELECT
  *
FROM
  ML.EVALUATE(MODEL `mydataset.my_arima_model`,
    (
    SELECT
      timeseries_date,
      timeseries_metric
    FROM
      `mydataset.mytimeseries`),
    STRUCT(FALSE AS perform_aggregation, 0.9 AS confidence_level,
    30 AS horizon))

-- case: per_timestamp_xreg
-- columns: timeseries_date, timeseries_metric, forecasted_timeseries_metric, lower_bound, upper_bound, absolute_error, absolute_percentage_error
-- rows: 200
-- holds: count(forecasted_timeseries_metric) = 30
SELECT
  *
FROM
  ML.EVALUATE(MODEL `mydataset.my_arima_xreg_model`,
    (
    SELECT
      timeseries_date,
      timeseries_metric,
      feature1,
      feature2
    FROM
      `mydataset.mytimeseries`),
    STRUCT(FALSE AS perform_aggregation, 0.9 AS confidence_level,
    30 AS horizon))

-- case: no_input_data
-- adapted: the syntax's form without input data (the page documents its output, deprecated for ML.ARIMA_EVALUATE)
-- columns: non_seasonal_p, non_seasonal_d, non_seasonal_q, has_drift, log_likelihood, aic, variance, seasonal_periods, has_holiday_effect, has_spikes_and_dips, has_step_changes
-- rows: 1
SELECT * FROM ML.EVALUATE(MODEL `mydataset.my_arima_model`)

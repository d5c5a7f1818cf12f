-- page: https://cloud.google.com/bigquery/docs/arima-single-time-series-forecasting-tutorial
-- Every statement of the tutorial: one series (visits per day), an ARIMA_PLUS model, its candidates, coefficients,
-- forecast and decomposition.
-- adapted (every case): `bigquery-public-data.google_analytics_sample.ga_sessions_*` -> `google_analytics_sample.ga_sessions_*`

-- case: visits_per_day
-- columns: parsed_date, total_visits
-- rows: 366
SELECT
PARSE_TIMESTAMP("%Y%m%d", date) AS parsed_date,
SUM(totals.visits) AS total_visits
FROM
`google_analytics_sample.ga_sessions_*`
GROUP BY date;

-- case: create_model
-- columns: none
CREATE OR REPLACE MODEL `bqml_tutorial.ga_arima_model`
OPTIONS
(model_type = 'ARIMA_PLUS',
 time_series_timestamp_col = 'parsed_date',
 time_series_data_col = 'total_visits',
 auto_arima = TRUE,
 data_frequency = 'AUTO_FREQUENCY',
 decompose_time_series = TRUE
) AS
SELECT
PARSE_TIMESTAMP("%Y%m%d", date) AS parsed_date,
SUM(totals.visits) AS total_visits
FROM
`google_analytics_sample.ga_sessions_*`
GROUP BY date;

-- case: arima_evaluate
-- columns: non_seasonal_p, non_seasonal_d, non_seasonal_q, has_drift, log_likelihood, AIC, variance, seasonal_periods, has_holiday_effect, has_spikes_and_dips, has_step_changes, error_message
-- types: INT64, INT64, INT64, BOOL, FLOAT64, FLOAT64, FLOAT64, ARRAY<STRING>, BOOL, BOOL, BOOL, STRING
-- holds: bool_and(non_seasonal_p + non_seasonal_q <= 2 AND non_seasonal_d BETWEEN 0 AND 2)
-- holds: bool_and(has_drift IS NOT DISTINCT FROM (has_drift AND non_seasonal_d = 1))
-- holds: list_contains(first(seasonal_periods), 'WEEKLY') AND first(error_message) IS NULL
-- holds: first(AIC) = min(AIC)
SELECT
*
FROM
ML.ARIMA_EVALUATE(MODEL `bqml_tutorial.ga_arima_model`);

-- case: arima_coefficients
-- columns: ar_coefficients, ma_coefficients, intercept_or_drift
-- types: ARRAY<FLOAT64>, ARRAY<FLOAT64>, FLOAT64
-- rows: 1
-- holds: bool_and(len(ar_coefficients) <= 2 AND len(ma_coefficients) <= 2)
SELECT
*
FROM
ML.ARIMA_COEFFICIENTS(MODEL `bqml_tutorial.ga_arima_model`);

-- case: forecast
-- columns: forecast_timestamp, forecast_value, standard_error, confidence_level, prediction_interval_lower_bound, prediction_interval_upper_bound, confidence_interval_lower_bound, confidence_interval_upper_bound
-- types: TIMESTAMP, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64
-- rows: 30
-- holds: min(forecast_timestamp) = TIMESTAMP '2017-08-02' AND max(forecast_timestamp) = TIMESTAMP '2017-08-31'
-- holds: bool_and(confidence_level = 0.8 AND prediction_interval_lower_bound < forecast_value AND forecast_value < prediction_interval_upper_bound)
-- holds: bool_and(abs(forecast_value - (prediction_interval_lower_bound + prediction_interval_upper_bound) / 2) < 1e-6)
-- holds: bool_and(confidence_interval_lower_bound = prediction_interval_lower_bound AND confidence_interval_upper_bound = prediction_interval_upper_bound)
-- holds: bool_and(forecast_value BETWEEN 1 AND 30 AND standard_error > 0)
SELECT
*
FROM
ML.FORECAST(MODEL `bqml_tutorial.ga_arima_model`,
          STRUCT(30 AS horizon, 0.8 AS confidence_level));

-- case: explain_forecast
-- columns: time_series_timestamp, time_series_type, time_series_data, time_series_adjusted_data, standard_error, confidence_level, prediction_interval_lower_bound, prediction_interval_upper_bound, trend, seasonal_period_yearly, seasonal_period_quarterly, seasonal_period_monthly, seasonal_period_weekly, seasonal_period_daily, holiday_effect, spikes_and_dips, step_changes, residual
-- types: TIMESTAMP, STRING, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64
-- rows: 396
-- holds: count(*) FILTER (time_series_type = 'history') = 366 AND count(*) FILTER (time_series_type = 'forecast') = 30
-- holds: bool_and(time_series_timestamp > TIMESTAMP '2017-08-01') FILTER (time_series_type = 'forecast')
-- holds: bool_and(prediction_interval_lower_bound IS NULL) FILTER (time_series_type = 'history')
-- holds: bool_and(prediction_interval_lower_bound < time_series_data AND time_series_data < prediction_interval_upper_bound) FILTER (time_series_type = 'forecast')
-- holds: count(seasonal_period_weekly) = 396
-- holds: bool_and(abs(time_series_data - (trend + coalesce(seasonal_period_yearly, 0) + coalesce(seasonal_period_quarterly, 0) + coalesce(seasonal_period_monthly, 0) + coalesce(seasonal_period_weekly, 0) + coalesce(seasonal_period_daily, 0) + coalesce(holiday_effect, 0) + coalesce(spikes_and_dips, 0) + coalesce(step_changes, 0) + coalesce(residual, 0))) < 1e-6)
SELECT
*
FROM
ML.EXPLAIN_FORECAST(MODEL `bqml_tutorial.ga_arima_model`,
 STRUCT(30 AS horizon, 0.8 AS confidence_level));

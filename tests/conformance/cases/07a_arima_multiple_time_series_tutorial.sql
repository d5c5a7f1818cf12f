-- page: https://cloud.google.com/bigquery/docs/arima-multiple-time-series-forecasting-tutorial
-- Every statement of the tutorial: an ARIMA_PLUS model of one series per Central Park station (3 of them in the
-- stand-in), its best models, coefficients, forecasts and decompositions.
-- adapted (every case): `bigquery-public-data.new_york.citibike_trips` -> `new_york.citibike_trips`

-- case: trips_per_day
-- columns: date, num_trips
-- types: DATE, INT64
-- rows: 823
SELECT
 EXTRACT(DATE from starttime) AS date,
 COUNT(*) AS num_trips
FROM
`new_york.citibike_trips`
GROUP BY date;

-- case: create_model
-- columns: none
CREATE OR REPLACE MODEL `bqml_tutorial.nyc_citibike_arima_model_group`
OPTIONS
(model_type = 'ARIMA_PLUS',
 time_series_timestamp_col = 'date',
 time_series_data_col = 'num_trips',
 time_series_id_col = 'start_station_name',
 auto_arima_max_order = 5
) AS
SELECT
 start_station_name,
 EXTRACT(DATE from starttime) AS date,
 COUNT(*) AS num_trips
FROM
`new_york.citibike_trips`
WHERE start_station_name LIKE '%Central Park%'
GROUP BY start_station_name, date;

-- case: arima_evaluate
-- columns: start_station_name, non_seasonal_p, non_seasonal_d, non_seasonal_q, has_drift, log_likelihood, AIC, variance, seasonal_periods, has_holiday_effect, has_spikes_and_dips, has_step_changes, error_message
-- types: STRING, INT64, INT64, INT64, BOOL, FLOAT64, FLOAT64, FLOAT64, ARRAY<STRING>, BOOL, BOOL, BOOL, STRING
-- rows: 3
-- holds: bool_and(start_station_name LIKE '%Central Park%' AND non_seasonal_p + non_seasonal_q <= 5 AND error_message IS NULL)
-- holds: count(DISTINCT start_station_name) = 3
SELECT
*
FROM
ML.ARIMA_EVALUATE(MODEL `bqml_tutorial.nyc_citibike_arima_model_group`);

-- case: arima_coefficients
-- columns: start_station_name, ar_coefficients, ma_coefficients, intercept_or_drift
-- types: STRING, ARRAY<FLOAT64>, ARRAY<FLOAT64>, FLOAT64
-- rows: 3
-- holds: list_sort(list(start_station_name)) = list(start_station_name)
SELECT
*
FROM
ML.ARIMA_COEFFICIENTS(MODEL `bqml_tutorial.nyc_citibike_arima_model_group`);

-- case: forecast
-- columns: start_station_name, forecast_timestamp, forecast_value, standard_error, confidence_level, prediction_interval_lower_bound, prediction_interval_upper_bound, confidence_interval_lower_bound, confidence_interval_upper_bound
-- types: STRING, TIMESTAMP, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64
-- rows: 9
-- holds: count(DISTINCT start_station_name) = 3 AND count(DISTINCT forecast_timestamp) = 3
-- holds: bool_and(forecast_timestamp > TIMESTAMP '2016-09-30' AND forecast_timestamp <= TIMESTAMP '2016-10-03')
-- holds: bool_and(confidence_level = 0.9 AND prediction_interval_lower_bound < forecast_value AND forecast_value < prediction_interval_upper_bound)
SELECT
*
FROM
ML.FORECAST(MODEL `bqml_tutorial.nyc_citibike_arima_model_group`,
 STRUCT(3 AS horizon, 0.9 AS confidence_level));

-- case: explain_forecast
-- columns: start_station_name, time_series_timestamp, time_series_type, time_series_data, time_series_adjusted_data, standard_error, confidence_level, prediction_interval_lower_bound, prediction_interval_upper_bound, trend, seasonal_period_yearly, seasonal_period_quarterly, seasonal_period_monthly, seasonal_period_weekly, seasonal_period_daily, holiday_effect, spikes_and_dips, step_changes, residual
-- types: STRING, TIMESTAMP, STRING, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64
-- rows: 2478
-- holds: count(*) FILTER (time_series_type = 'forecast') = 9 AND count(*) FILTER (time_series_type = 'history') = 3 * 823
-- holds: bool_and(prediction_interval_lower_bound < time_series_data AND time_series_data < prediction_interval_upper_bound) FILTER (time_series_type = 'forecast')
SELECT
*
FROM
ML.EXPLAIN_FORECAST(MODEL `bqml_tutorial.nyc_citibike_arima_model_group`,
 STRUCT(3 AS horizon, 0.9 AS confidence_level));

-- page: https://cloud.google.com/bigquery/docs/arima-plus-xreg-single-time-series-forecasting-tutorial
-- Every statement of the tutorial: Seattle's daily PM2.5 forecast from temperature and wind speed (ARIMA_PLUS_XREG).
-- The stand-in readings start on 2020-01-01 (the model trains on 2020's 366 days, where the page has 2012 .. 2020).
-- adapted (every case): `bigquery-public-data.epa_historical_air_quality.*` -> `epa_historical_air_quality.*`

-- case: create_table
-- columns: none
CREATE TABLE `bqml_tutorial.seattle_air_quality_daily`
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
JOIN temperature_daily USING (date);

-- case: read_table
-- columns: date, pm25, wind_speed, temperature
-- types: DATE, FLOAT64, FLOAT64, FLOAT64
-- rows: 1155
SELECT
  *
FROM
  `bqml_tutorial.seattle_air_quality_daily`;

-- case: create_model
-- columns: none
CREATE OR REPLACE
  MODEL
    `bqml_tutorial.seattle_pm25_xreg_model`
  OPTIONS (
    MODEL_TYPE = 'ARIMA_PLUS_XREG',
    time_series_timestamp_col = 'date',  # Identifies the column that contains time points
    time_series_data_col = 'pm25')       # Identifies the column to forecast
AS
SELECT
  date,                                  # The column that contains time points
  pm25,                                  # The column to forecast
  temperature,                           # Temperature input to use in forecasting
  wind_speed                             # Wind speed input to use in forecasting
FROM
  `bqml_tutorial.seattle_air_quality_daily`
WHERE
  date
  BETWEEN DATE('2012-01-01')
  AND DATE('2020-12-31');

-- case: arima_evaluate
-- columns: non_seasonal_p, non_seasonal_d, non_seasonal_q, has_drift, log_likelihood, AIC, variance, seasonal_periods, has_holiday_effect, has_spikes_and_dips, has_step_changes, error_message
-- types: INT64, INT64, INT64, BOOL, FLOAT64, FLOAT64, FLOAT64, ARRAY<STRING>, BOOL, BOOL, BOOL, STRING
-- holds: bool_and(non_seasonal_p + non_seasonal_q <= 2 AND error_message IS NULL)
SELECT
 *
FROM
 ML.ARIMA_EVALUATE(MODEL `bqml_tutorial.seattle_pm25_xreg_model`);

-- case: arima_coefficients
-- columns: ar_coefficients, ma_coefficients, intercept_or_drift, processed_input, weight, category_weights
-- holds: list_sort(list(processed_input)) = ['__INTERCEPT__', 'temperature', 'wind_speed']
-- holds: bool_and(weight < 0) FILTER (processed_input IN ('temperature', 'wind_speed'))
SELECT
 *
FROM
 ML.ARIMA_COEFFICIENTS(MODEL `bqml_tutorial.seattle_pm25_xreg_model`);

-- case: forecast
-- columns: forecast_timestamp, forecast_value, standard_error, confidence_level, prediction_interval_lower_bound, prediction_interval_upper_bound, confidence_interval_lower_bound, confidence_interval_upper_bound
-- types: TIMESTAMP, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64
-- rows: 30
-- holds: min(forecast_timestamp) = TIMESTAMP '2021-01-01' AND max(forecast_timestamp) = TIMESTAMP '2021-01-30'
-- holds: bool_and(confidence_level = 0.8 AND prediction_interval_lower_bound < forecast_value AND forecast_value < prediction_interval_upper_bound)
SELECT
  *
FROM
  ML.FORECAST(
    MODEL `bqml_tutorial.seattle_pm25_xreg_model`,
    STRUCT(30 AS horizon, 0.8 AS confidence_level),
    (
      SELECT
        date,
        temperature,
        wind_speed
      FROM
        `bqml_tutorial.seattle_air_quality_daily`
      WHERE
        date > DATE('2020-12-31')
    ));

-- case: evaluate
-- columns: mean_absolute_error, mean_squared_error, root_mean_squared_error, mean_absolute_percentage_error, symmetric_mean_absolute_percentage_error, mean_absolute_scaled_error
-- types: FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64
-- rows: 1
-- holds: abs(first(root_mean_squared_error) - sqrt(first(mean_squared_error))) < 1e-9 AND first(mean_absolute_error) <= first(root_mean_squared_error)
SELECT
  *
FROM
  ML.EVALUATE(
    MODEL `bqml_tutorial.seattle_pm25_xreg_model`,
    (
      SELECT
        date,
        pm25,
        temperature,
        wind_speed
      FROM
        `bqml_tutorial.seattle_air_quality_daily`
      WHERE
        date > DATE('2020-12-31')
    ),
    STRUCT(
      TRUE AS perform_aggregation,
      30 AS horizon));

-- case: explain_forecast
-- columns: time_series_timestamp, time_series_type, time_series_data, time_series_adjusted_data, standard_error, confidence_level, prediction_interval_lower_bound, prediction_interval_upper_bound, trend, seasonal_period_yearly, seasonal_period_quarterly, seasonal_period_monthly, seasonal_period_weekly, seasonal_period_daily, holiday_effect, spikes_and_dips, step_changes, residual, attribution_temperature, attribution_wind_speed
-- types: TIMESTAMP, STRING, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64
-- rows: 396
-- holds: count(*) FILTER (time_series_type = 'history') = 366 AND count(*) FILTER (time_series_type = 'forecast') = 30
-- holds: count(attribution_temperature) = 396 AND count(attribution_wind_speed) = 396
SELECT
  *
FROM
  ML.EXPLAIN_FORECAST(
    MODEL `bqml_tutorial.seattle_pm25_xreg_model`,
    STRUCT(30 AS horizon, 0.8 AS confidence_level),
    (
      SELECT
        date,
        temperature,
        wind_speed
      FROM
        `bqml_tutorial.seattle_air_quality_daily`
      WHERE
        date > DATE('2020-12-31')
    ));

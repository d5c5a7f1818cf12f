-- Forecasting: twelve years of monthly airline passengers (Box & Jenkins' series G), the last year held out.
-- Run from the repository root:   sqlml air.duckdb sql_examples/10_forecasting_air_passengers.sql

CREATE OR REPLACE TABLE air_passengers AS
FROM read_csv('sql_examples/data/air_passengers.csv', columns = {'month': 'DATE', 'passengers': 'INTEGER'});

-- 1. One ARIMA_PLUS model on 1949-1959: yearly seasonality (MSTL), then auto-ARIMA on what is left.
CREATE OR REPLACE MODEL passengers_arima
OPTIONS (model_type = 'ARIMA_PLUS', time_series_timestamp_col = 'month', time_series_data_col = 'passengers',
         horizon = 24)
AS SELECT month, passengers FROM air_passengers WHERE month < DATE '1960-01-01';

-- 2. What auto-ARIMA chose: the orders, drift, AIC, the seasonal periods found.
SELECT non_seasonal_p, non_seasonal_d, non_seasonal_q, has_drift, AIC, variance, seasonal_periods,
       has_spikes_and_dips, has_step_changes
FROM ML.ARIMA_EVALUATE(MODEL passengers_arima);

-- 3. The next 12 months, with 90% prediction intervals.
SELECT forecast_timestamp, round(forecast_value) AS forecast, round(prediction_interval_lower_bound) AS low,
       round(prediction_interval_upper_bound) AS high
FROM ML.FORECAST(MODEL passengers_arima, STRUCT(12 AS horizon, 0.9 AS confidence_level));

-- 4. The forecast against the held-out year 1960: MAE, MAPE, ...
SELECT * FROM ML.EVALUATE(MODEL passengers_arima,
  (SELECT month, passengers FROM air_passengers WHERE month >= DATE '1960-01-01'),
  STRUCT(12 AS horizon));

-- 5. The decomposition: trend + yearly seasonality + what is left, history then forecast.
SELECT time_series_timestamp, time_series_type, round(time_series_data) AS data, round(trend) AS trend,
       round(seasonal_period_yearly) AS yearly, round(residual, 1) AS residual
FROM ML.EXPLAIN_FORECAST(MODEL passengers_arima, STRUCT(12 AS horizon, 0.9 AS confidence_level))
WHERE time_series_timestamp >= TIMESTAMP '1959-07-01';

-- 6. Months of the history the model finds unlikely at 99%.
SELECT month, passengers, round(lower_bound) AS low, round(upper_bound) AS high, anomaly_probability
FROM ML.DETECT_ANOMALIES(MODEL passengers_arima, STRUCT(0.99 AS anomaly_prob_threshold))
WHERE is_anomaly;

-- page: https://cloud.google.com/bigquery/docs/arima-plus-xreg-multiple-time-series-forecasting-tutorial
-- Every statement of the tutorial: bottles sold per store and item (4 series in the stand-in) with the zip
-- code's temperature and humidity as regressors (ARIMA_PLUS_XREG of many series).
-- adapted (every case): `bigquery-public-data.iowa_liquor_sales.sales` -> `iowa_liquor_sales.sales`; `bigquery-public-data.covid19_weathersource_com.postal_code_day_history` -> `covid19_weathersource_com.postal_code_day_history`

-- case: create_table
-- columns: none
CREATE OR REPLACE TABLE
  `bqml_tutorial.iowa_liquor_sales_with_weather` AS
WITH
  sales AS (
    SELECT
      DATE,
      store_number,
      item_number,
      bottles_sold,
      SAFE_CAST(SAFE_CAST(zip_code AS FLOAT64) AS INT64) AS zip_code
    FROM
      `iowa_liquor_sales.sales` AS sales
    WHERE
      SAFE_CAST(zip_code AS FLOAT64) IS NOT NULL
  ),
  aggregated_sales AS (
    SELECT
      DATE,
      store_number,
      item_number,
      ANY_VALUE(zip_code) AS zip_code,
      SUM(bottles_sold) AS bottles_sold,
    FROM
      sales
    GROUP BY
      DATE,
      store_number,
      item_number
  ),
  weather AS (
    SELECT
      DATE,
      SAFE_CAST(postal_code AS INT64) AS zip_code,
      avg_temperature_air_2m_f AS temperature,
      avg_humidity_specific_2m_gpkg AS humidity,
    FROM
      `covid19_weathersource_com.postal_code_day_history`
    WHERE
      country = 'US' AND
      SAFE_CAST(postal_code AS INT64) IS NOT NULL
  )
SELECT
  aggregated_sales.date,
  aggregated_sales.store_number,
  aggregated_sales.item_number,
  aggregated_sales.bottles_sold,
  weather.temperature AS temperature,
  weather.humidity AS humidity
FROM
  aggregated_sales
  LEFT JOIN weather ON aggregated_sales.zip_code=weather.zip_code
  AND aggregated_sales.DATE=weather.DATE;

-- case: read_table
-- adapted: a query of the table the tutorial made (the page shows its columns)
-- columns: date, store_number, item_number, bottles_sold, temperature, humidity
-- holds: count(DISTINCT (store_number, item_number)) = 4 AND count(*) = count(DISTINCT (store_number, item_number, date))
-- holds: count(*) - count(temperature) = 4 AND bool_and(temperature BETWEEN 50 AND 100)
SELECT * FROM `bqml_tutorial.iowa_liquor_sales_with_weather`

-- case: create_model
-- columns: none
CREATE
OR REPLACE MODEL `bqml_tutorial.multi_time_series_arimax_model`
OPTIONS(
  model_type = 'ARIMA_PLUS_XREG',
  time_series_id_col = ['store_number', 'item_number'],
  time_series_data_col = 'bottles_sold',
  time_series_timestamp_col = 'date'
)
AS SELECT
  *
FROM
  `bqml_tutorial.iowa_liquor_sales_with_weather`
WHERE
  DATE < DATE('2022-09-01');

-- case: forecast
-- columns: store_number, item_number, forecast_timestamp, forecast_value, standard_error, confidence_level, prediction_interval_lower_bound, prediction_interval_upper_bound, confidence_interval_lower_bound, confidence_interval_upper_bound
-- types: STRING, STRING, TIMESTAMP, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64
-- rows: 20
-- holds: min(forecast_timestamp) = TIMESTAMP '2022-09-01' AND max(forecast_timestamp) = TIMESTAMP '2022-09-05'
-- holds: bool_and(confidence_level = 0.8 AND prediction_interval_lower_bound < forecast_value AND forecast_value < prediction_interval_upper_bound)
-- holds: list(store_number || item_number) = list_sort(list(store_number || item_number))
SELECT
  *
FROM
  ML.FORECAST (
    model `bqml_tutorial.multi_time_series_arimax_model`,
    STRUCT (5 AS horizon, 0.8 AS confidence_level),
    (
      SELECT
        * EXCEPT (bottles_sold)
      FROM
        `bqml_tutorial.iowa_liquor_sales_with_weather`
      WHERE
        DATE>=DATE('2022-09-01')
    )
  );

-- case: explain_forecast
-- columns: store_number, item_number, time_series_timestamp, time_series_type, time_series_data, time_series_adjusted_data, standard_error, confidence_level, prediction_interval_lower_bound, prediction_interval_upper_bound, trend, seasonal_period_yearly, seasonal_period_quarterly, seasonal_period_monthly, seasonal_period_weekly, seasonal_period_daily, holiday_effect, spikes_and_dips, step_changes, residual, attribution_temperature, attribution_humidity
-- holds: count(*) FILTER (time_series_type = 'history') = 4 * 92 AND count(*) FILTER (time_series_type = 'forecast') = 20
SELECT
  *
FROM
  ML.EXPLAIN_FORECAST (
    model `bqml_tutorial.multi_time_series_arimax_model`,
    STRUCT (5 AS horizon, 0.8 AS confidence_level),
    (
      SELECT
        * EXCEPT (bottles_sold)
      FROM
        `bqml_tutorial.iowa_liquor_sales_with_weather`
      WHERE
        DATE >= DATE('2022-09-01')
    )
  );

-- case: evaluate
-- columns: store_number, item_number, mean_absolute_error, mean_squared_error, root_mean_squared_error, mean_absolute_percentage_error, symmetric_mean_absolute_percentage_error, mean_absolute_scaled_error
-- rows: 4
-- holds: bool_and(mean_absolute_error > 0 AND mean_absolute_error <= root_mean_squared_error)
SELECT
  *
FROM
  ML.EVALUATE (
    model `bqml_tutorial.multi_time_series_arimax_model`,
    (
      SELECT
        *
      FROM
       `bqml_tutorial.iowa_liquor_sales_with_weather`
      WHERE
        DATE >= DATE('2022-09-01')
    )
  );

-- case: detect_anomalies_in_history
-- columns: store_number, item_number, date, bottles_sold, is_anomaly, lower_bound, upper_bound, anomaly_probability
-- types: STRING, STRING, TIMESTAMP, FLOAT64, BOOL, FLOAT64, FLOAT64, FLOAT64
-- holds: count(DISTINCT (store_number, item_number)) = 4 AND bool_and(is_anomaly = (anomaly_probability > 0.95))
SELECT
  *
FROM
  ML.DETECT_ANOMALIES (
    model `bqml_tutorial.multi_time_series_arimax_model`,
    STRUCT (0.95 AS anomaly_prob_threshold)
  );

-- case: detect_anomalies_in_new_data
-- columns: store_number, item_number, date, bottles_sold, is_anomaly, lower_bound, upper_bound, anomaly_probability, temperature, humidity
-- holds: count(*) FILTER (date >= TIMESTAMP '2022-09-01') > 0 AND bool_and(is_anomaly = (anomaly_probability > 0.95))
SELECT
  *
FROM
  ML.DETECT_ANOMALIES (
    model `bqml_tutorial.multi_time_series_arimax_model`,
    STRUCT (0.95 AS anomaly_prob_threshold),
    (
      SELECT
        *
      FROM
        `bqml_tutorial.iowa_liquor_sales_with_weather`
      WHERE
        DATE >= DATE('2022-09-01')
    )
  );

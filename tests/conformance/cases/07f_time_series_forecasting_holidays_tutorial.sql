-- page: https://cloud.google.com/bigquery/docs/time-series-forecasting-holidays-tutorial
-- The tutorial's statements: daily views of the Google_I/O page, an ARIMA_PLUS model with US holidays and its
-- decomposition next to the data. Its custom holidays (the Google I/O dates) and ML.HOLIDAY_INFO are refused
-- (docs/bigquery.md says why); the tutorial's last two queries read the custom holiday model and do not run.
-- adapted (every case): `bigquery-public-data.wikipedia.pageviews_*` -> `wikipedia.pageviews_*`

-- case: create_table
-- columns: none
CREATE OR REPLACE TABLE `bqml_tutorial.googleio_page_views`
AS
SELECT
  DATETIME_TRUNC(datehour, DAY) AS date,
  SUM(views) AS views
FROM
  `wikipedia.pageviews_*`
WHERE
  datehour >= '2017-01-01'
  AND datehour < '2023-01-01'
  AND title = 'Google_I/O'
GROUP BY
  DATETIME_TRUNC(datehour, DAY)

-- case: create_model
-- columns: none
CREATE OR REPLACE MODEL `bqml_tutorial.forecast_googleio`
  OPTIONS (
    model_type = 'ARIMA_PLUS',
    holiday_region = 'US',
    time_series_timestamp_col = 'date',
    time_series_data_col = 'views',
    data_frequency = 'DAILY',
    horizon = 365)
AS
SELECT
  *
FROM
  `bqml_tutorial.googleio_page_views`
WHERE
  date < '2022-01-01';

-- case: adjusted_views_without_custom_holiday
-- columns: date, original_views, adjusted_views_without_custom_holiday
-- rows: 2191
-- holds: min(date) = TIMESTAMP '2017-01-01' AND max(date) = TIMESTAMP '2022-12-31' AND list(date) = list_sort(list(date))
-- holds: bool_and(adjusted_views_without_custom_holiday IS NOT NULL)
SELECT
  original.date,
  original.views AS original_views,
  explain_forecast.time_series_adjusted_data
    AS adjusted_views_without_custom_holiday,
FROM
  `bqml_tutorial.googleio_page_views` original
INNER JOIN
  (
    SELECT
      *
    FROM
      ML.EXPLAIN_FORECAST(
        MODEL `bqml_tutorial.forecast_googleio`,
        STRUCT(365 AS horizon))
  ) explain_forecast
  ON
    TIMESTAMP(original.date)
    = explain_forecast.time_series_timestamp
ORDER BY
  original.date;

-- case: holiday_effects
-- adapted: the model without custom holidays (the tutorial's has them, and is refused below), and the holidays package's names: holiday_effect_GoogleIO, holiday_effect_US_Juneteenth, holiday_effect_Christmas, holiday_effect_NewYear -> holiday_effect_Juneteenth_National_Independence_Day, holiday_effect_Christmas_Day, holiday_effect_New_Year_s_Day
-- columns: time_series_timestamp, holiday_effect_Juneteenth_National_Independence_Day, holiday_effect_Christmas_Day, holiday_effect_New_Year_s_Day
-- holds: count(*) > 0 AND min(holiday_effect_Christmas_Day) < 0 AND bool_and(month(time_series_timestamp) = 12) FILTER (holiday_effect_Christmas_Day <> 0)
SELECT
  time_series_timestamp,
  holiday_effect_Juneteenth_National_Independence_Day,
  holiday_effect_Christmas_Day,
  holiday_effect_New_Year_s_Day
FROM
  ML.EXPLAIN_FORECAST(
    model
      `bqml_tutorial.forecast_googleio`,
    STRUCT(365 AS horizon))
WHERE holiday_effect != 0;

-- case: create_model_with_custom_holiday
-- refused: NotSupportedError
CREATE OR REPLACE MODEL `bqml_tutorial.forecast_googleio_with_custom_holiday`
  OPTIONS (
    model_type = 'ARIMA_PLUS',
    holiday_region = 'US',
    time_series_timestamp_col = 'date',
    time_series_data_col = 'views',
    data_frequency = 'DAILY',
    horizon = 365)
AS (
  training_data AS (
      SELECT
        *
      FROM
        `bqml_tutorial.googleio_page_views`
      WHERE
        date < '2022-01-01'
    ),
  custom_holiday AS (
      SELECT
        'US' AS region,
        'GoogleIO' AS holiday_name,
        primary_date,
        1 AS preholiday_days,
        2 AS postholiday_days
      FROM
        UNNEST(
          [
            DATE('2017-05-17'),
            DATE('2018-05-08'),
            DATE('2019-05-07'),
            -- cancelled in 2020 due to pandemic
            DATE('2021-05-18'),
            DATE('2022-05-11')])
          AS primary_date
    )
);

-- case: holiday_info
-- refused: NotSupportedError
-- adapted: the model without custom holidays (the tutorial's has them, and is refused above)
SELECT *
FROM
  ML.HOLIDAY_INFO(
    MODEL `bqml_tutorial.forecast_googleio`);

-- page: https://cloud.google.com/bigquery/docs/arima-single-time-series-forecasting-tutorial
-- The tutorial's input query (its ARIMA_PLUS model is a type sqlml does not have).
-- adapted (every case): `bigquery-public-data.google_analytics_sample.ga_sessions_*` -> `google_analytics_sample.ga_sessions_*`

-- case: visits_per_day
-- columns: parsed_date, total_visits
SELECT
  PARSE_TIMESTAMP("%Y%m%d", date) AS parsed_date,
  SUM(totals.visits) AS total_visits
FROM
  `google_analytics_sample.ga_sessions_*`
GROUP BY date;

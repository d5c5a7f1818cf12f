-- page: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-arima-evaluate
-- The page's example takes an ARIMA_PLUS model `mydataset.mymodel`:
-- given: CREATE OR REPLACE MODEL `mydataset.mymodel` OPTIONS (model_type = 'ARIMA_PLUS', time_series_timestamp_col = 'date', time_series_data_col = 'transaction', horizon = 60) AS SELECT date, transaction FROM `mydataset.mytimeseries` WHERE date < '2023-06-20'

-- case: best_model
-- columns: non_seasonal_p, non_seasonal_d, non_seasonal_q, has_drift, log_likelihood, AIC, variance, seasonal_periods, has_holiday_effect, has_spikes_and_dips, has_step_changes, error_message
-- types: INT64, INT64, INT64, BOOL, FLOAT64, FLOAT64, FLOAT64, ARRAY<STRING>, BOOL, BOOL, BOOL, STRING
-- rows: 1
-- holds: first(seasonal_periods) = ['WEEKLY'] AND first(has_holiday_effect) = FALSE AND first(variance) > 0
SELECT
  *
FROM
  ML.ARIMA_EVALUATE(MODEL `mydataset.mymodel`, STRUCT(FALSE AS show_all_candidate_models))

-- page: https://cloud.google.com/bigquery/docs/bigqueryml-mf-implicit-tutorial
-- Every SQL statement of the tutorial: visitors' time on each content from Google Analytics 360 hits, an
-- implicit-feedback matrix factorization model of it, its evaluation, predicted confidences for five visitors,
-- and the top five contents per visitor.
-- adapted (every case): `cloud-training-demos.GA360_test.ga_sessions_sample` -> `GA360_test.ga_sessions_sample`,
-- a stand-in of 150 visitors' hits over 30 contents (tests/conformance/datasets.py)

-- case: session_data
-- columns: none
CREATE OR REPLACE TABLE `bqml_tutorial.analytics_session_data`
AS
WITH
  visitor_page_content AS (
    SELECT
      fullVisitorID,
      (
        SELECT
          MAX(
            IF(
              index = 10,
              value,
              NULL))
        FROM
          UNNEST(hits.customDimensions)
      ) AS latestContentId,
      (LEAD(hits.time, 1) OVER (PARTITION BY fullVisitorId ORDER BY hits.time ASC) - hits.time)
        AS session_duration
    FROM
      `GA360_test.ga_sessions_sample`,
      UNNEST(hits) AS hits
    WHERE
      # only include hits on pages
      hits.type = 'PAGE'
    GROUP BY
      fullVisitorId,
      latestContentId,
      hits.time
  )
# aggregate web stats
SELECT
  fullVisitorID AS visitorId,
  latestContentId AS contentId,
  SUM(session_duration) AS session_duration
FROM
  visitor_page_content
WHERE
  latestContentId IS NOT NULL
GROUP BY
  fullVisitorID,
  latestContentId
HAVING
  session_duration > 0
ORDER BY
  latestContentId;

-- case: session_data_sample
-- columns: visitorId, contentId, session_duration
-- rows: 5
-- holds: bool_and(session_duration > 0)
SELECT * FROM `bqml_tutorial.analytics_session_data` LIMIT 5;

-- case: create_model
-- columns: none
CREATE OR REPLACE MODEL `bqml_tutorial.mf_implicit`
  OPTIONS (
    MODEL_TYPE = 'matrix_factorization',
    FEEDBACK_TYPE = 'implicit',
    USER_COL = 'visitorId',
    ITEM_COL = 'contentId',
    RATING_COL = 'rating',
    L2_REG = 30,
    NUM_FACTORS = 15)
AS
SELECT
  visitorId,
  contentId,
  0.3 * (1 + (session_duration - 57937) / 57937) AS rating
FROM `bqml_tutorial.analytics_session_data`
WHERE 0.3 * (1 + (session_duration - 57937) / 57937) < 1;

-- case: evaluate
-- columns: mean_average_precision, mean_squared_error, normalized_discounted_cumulative_gain, average_rank
-- types: FLOAT64, FLOAT64, FLOAT64, FLOAT64
-- rows: 1
-- holds: bool_and(mean_average_precision BETWEEN 0 AND 1 AND normalized_discounted_cumulative_gain BETWEEN 0 AND 1)
-- holds: bool_and(average_rank BETWEEN 0 AND 0.5)
SELECT
  *
FROM
  ML.EVALUATE(MODEL `bqml_tutorial.mf_implicit`);

-- case: recommend_five_visitors
-- columns: predicted_rating_confidence, visitorId, contentId
-- types: FLOAT64, STRING, STRING
-- holds: count(DISTINCT contentId) = count(*) / 5
SELECT
  *
FROM
  ML.RECOMMEND(
    MODEL `bqml_tutorial.mf_implicit`,
    (
      SELECT
        visitorId
      FROM
        `bqml_tutorial.analytics_session_data`
      LIMIT 5
    ));

-- case: recommend_table
-- columns: none
CREATE OR REPLACE TABLE `bqml_tutorial.recommend_content`
AS
SELECT
  *
FROM
  ML.RECOMMEND(MODEL `bqml_tutorial.mf_implicit`);

-- case: top_five_per_visitor
-- columns: visitorId, rec
-- holds: bool_and(len(rec) = 5)
-- holds: bool_and(list_sort([r.predicted_rating_confidence FOR r IN rec], 'DESC') = [r.predicted_rating_confidence FOR r IN rec])
SELECT
  visitorId,
  ARRAY_AGG(
    STRUCT(contentId, predicted_rating_confidence)
    ORDER BY predicted_rating_confidence DESC
    LIMIT 5) AS rec
FROM
  `bqml_tutorial.recommend_content`
GROUP BY
  visitorId;

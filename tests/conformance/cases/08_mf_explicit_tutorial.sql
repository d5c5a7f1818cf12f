-- page: https://cloud.google.com/bigquery/docs/bigqueryml-mf-explicit-tutorial
-- Every SQL statement of the tutorial: an explicit-feedback matrix factorization model of movie ratings, its
-- evaluation, predicted ratings for five users, and the top five movies per user.
-- adapted (every case): `bqml_tutorial.ratings` and `bqml_tutorial.movies` are the stand-ins of what the page
-- loads from MovieLens 1M with `bq load` (tests/conformance/datasets.py: 2,000 ratings of 50 movies by 100 users)

-- case: create_model
-- columns: none
CREATE OR REPLACE MODEL `bqml_tutorial.mf_explicit`
OPTIONS (
  MODEL_TYPE = 'matrix_factorization',
  FEEDBACK_TYPE = 'explicit',
  USER_COL = 'user_id',
  ITEM_COL = 'item_id',
  L2_REG = 9.83,
  NUM_FACTORS = 34)
AS
SELECT
user_id,
item_id,
rating
FROM `bqml_tutorial.ratings`;

-- case: evaluate
-- columns: mean_absolute_error, mean_squared_error, mean_squared_log_error, median_absolute_error, r2_score, explained_variance
-- types: FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64, FLOAT64
-- rows: 1
-- magnitude: mean_absolute_error ~ 0.48494444327829156
-- magnitude: mean_squared_error ~ 0.39433706592870565
-- magnitude: r2_score ~ 0.6840033369412044
SELECT
*
FROM
ML.EVALUATE(
  MODEL `bqml_tutorial.mf_explicit`,
  (
    SELECT
      user_id,
      item_id,
      rating
    FROM
      `bqml_tutorial.ratings`
  ));

-- case: evaluate_without_input
-- columns: mean_absolute_error, mean_squared_error, mean_squared_log_error, median_absolute_error, r2_score, explained_variance
-- rows: 1
-- adapted: the page says ML.EVALUATE may be called without input ("it will use the evaluation metrics calculated during training") without writing the statement
SELECT * FROM ML.EVALUATE(MODEL `bqml_tutorial.mf_explicit`);

-- case: recommend_five_users
-- columns: predicted_rating, user_id, item_id
-- types: FLOAT64, INT64, INT64
-- rows: 250
-- holds: count(DISTINCT item_id) = 50
SELECT
*
FROM
ML.RECOMMEND(
  MODEL `bqml_tutorial.mf_explicit`,
  (
    SELECT
      user_id
    FROM
      `bqml_tutorial.ratings`
    LIMIT 5
  ));

-- case: recommend_table
-- columns: none
CREATE OR REPLACE TABLE `bqml_tutorial.recommend`
AS
SELECT
*
FROM
ML.RECOMMEND(MODEL `bqml_tutorial.mf_explicit`);

-- case: top_five_per_user
-- columns: user_id, f0_
-- rows: 100
-- holds: bool_and(len(f0_) = 5)
-- holds: bool_and(list_sort([r.predicted_rating FOR r IN f0_], 'DESC') = [r.predicted_rating FOR r IN f0_])
-- adapted: `AS f0_` added: BigQuery names an unaliased column f0_, sqlml's translation keeps DuckDB's name (the expression's text)
  SELECT
    user_id,
    ARRAY_AGG(STRUCT(movie_title, genre, predicted_rating) ORDER BY predicted_rating DESC LIMIT 5) AS f0_
  FROM
    (
      SELECT
        user_id,
        item_id,
        predicted_rating,
        movie_title,
        genre
      FROM
        `bqml_tutorial.recommend`
      JOIN
        `bqml_tutorial.movies`
        ON
          item_id = movie_id
    )
  GROUP BY
    user_id;

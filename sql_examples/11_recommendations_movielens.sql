-- Recommendations: 100,004 MovieLens ratings of 9,066 movies by 671 users (GroupLens), ratings up to 2014 to
-- train, the later ones held out.
-- Run from the repository root:   sqlml movies.duckdb sql_examples/11_recommendations_movielens.sql

CREATE OR REPLACE TABLE ratings AS FROM 'sql_examples/data/movielens_ratings.parquet';
CREATE OR REPLACE TABLE movies AS FROM 'sql_examples/data/movielens_movies.parquet';

-- 1. A matrix factorization of the explicit ratings (alternating least squares): each user and each movie gets
--    10 factors and an intercept; a rating is predicted as their dot product plus the intercepts.
CREATE OR REPLACE MODEL movie_recommender
OPTIONS (model_type = 'matrix_factorization', feedback_type = 'explicit', user_col = 'userId',
         item_col = 'movieId', rating_col = 'rating', num_factors = 10, l2_reg = 10)
AS SELECT userId, movieId, rating FROM ratings WHERE to_timestamp(timestamp) < TIMESTAMP '2015-01-01';

-- 2. How well it predicts the ratings given since 2015 (users and movies it never saw get the intercepts).
SELECT round(sqrt(mean_squared_error), 4) AS rmse, round(mean_absolute_error, 4) AS mae, round(r2_score, 4) AS r2
FROM ML.EVALUATE(MODEL movie_recommender,
  (SELECT userId, movieId, rating FROM ratings WHERE to_timestamp(timestamp) >= TIMESTAMP '2015-01-01'));

-- 3. Five movies for user 15 among those that at least 20 people rated, which user 15 has not rated yet.
SELECT title, round(predicted_rating, 2) AS predicted_rating
FROM ML.RECOMMEND(MODEL movie_recommender, (SELECT 15 AS userId)) r JOIN movies USING (movieId)
WHERE movieId NOT IN (SELECT movieId FROM ratings WHERE userId = 15)
  AND movieId IN (SELECT movieId FROM ratings GROUP BY ALL HAVING count(*) >= 20)
ORDER BY predicted_rating DESC, movieId LIMIT 5;

-- 4. Every user's top 3 at once (sqlml's top_k: the best items per user, ranked in numpy, not by SQL).
SELECT count(DISTINCT userId) AS users, count(*) AS recommendations
FROM ML.RECOMMEND(MODEL movie_recommender, STRUCT(3 AS top_k));

-- 5. The movies whose factors lie nearest to The Matrix's (movieId 2571): one embedding per movie.
WITH e AS (SELECT CAST(feature AS BIGINT) AS movieId, ml_generate_embedding_result AS v
           FROM ML.GENERATE_EMBEDDING(MODEL movie_recommender) WHERE processed_input = 'movieId')
SELECT m.title, round(list_cosine_similarity(a.v, b.v), 3) AS similarity
FROM e a, e b JOIN movies m ON m.movieId = b.movieId
WHERE a.movieId = 2571 AND b.movieId <> 2571
  AND b.movieId IN (SELECT movieId FROM ratings GROUP BY ALL HAVING count(*) >= 50)
ORDER BY similarity DESC LIMIT 5;

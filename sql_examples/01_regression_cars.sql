-- Fuel economy: predict a car's miles per gallon from its specification (StatLib auto-mpg, 406 cars).
-- Run from the repository root:   sqlml cars.duckdb sql_examples/01_regression_cars.sql

-- 1. Load the bundled data. mpg is missing for 8 cars and horsepower for 6: sqlml drops rows with a NULL
--    label and imputes NULL features with their training mean.
CREATE OR REPLACE TABLE cars AS
SELECT row_number() OVER () AS car_id, * FROM read_csv('sql_examples/data/cars.csv');

-- 2. Keep the 1982 models aside as unseen cars and train a linear regression on the earlier years.
--    `origin` is a string: it is one-hot encoded; numbers are standardized.
CREATE OR REPLACE MODEL mpg_linear
OPTIONS (model_type = 'linear_reg', input_label_cols = ['mpg'], l2_reg = 1.0) AS
SELECT * EXCLUDE (car_id, name) FROM cars WHERE model_year < 1982;

-- 3. The same data through gradient-boosted trees (LightGBM).
CREATE OR REPLACE MODEL mpg_boosted
OPTIONS (model_type = 'boosted_tree_regressor', input_label_cols = ['mpg'],
         max_iterations = 100, learn_rate = 0.1, early_stop = FALSE) AS
SELECT * EXCLUDE (car_id, name) FROM cars WHERE model_year < 1982;

-- 4. Evaluate both on the 1982 cars: one row of metrics per model.
SELECT 'linear_reg' AS model, *
FROM ML.EVALUATE(MODEL mpg_linear, (SELECT * FROM cars WHERE model_year = 1982))
UNION ALL
SELECT 'boosted_tree_regressor', *
FROM ML.EVALUATE(MODEL mpg_boosted, (SELECT * FROM cars WHERE model_year = 1982));

-- 5. Predictions join like any table: the 1982 cars on which the two models disagree most.
SELECT name, mpg,
       round(l.predicted_mpg, 1) AS linear_mpg,
       round(b.predicted_mpg, 1) AS boosted_mpg
FROM ML.PREDICT(MODEL mpg_linear, (SELECT * FROM cars WHERE model_year = 1982)) AS l
JOIN ML.PREDICT(MODEL mpg_boosted, (SELECT car_id, cylinders, displacement, horsepower, weight_lbs,
                                           acceleration, model_year, origin
                                    FROM cars WHERE model_year = 1982)) AS b USING (car_id)
ORDER BY abs(l.predicted_mpg - b.predicted_mpg) DESC
LIMIT 5;

-- 6. Average predicted mpg per origin and cylinder count, from a CTE.
WITH predicted AS (
    SELECT * FROM ML.PREDICT(MODEL mpg_boosted, TABLE cars)
)
SELECT origin, cylinders, count(*) AS cars, round(avg(predicted_mpg), 1) AS avg_predicted_mpg
FROM predicted
GROUP BY ALL
ORDER BY origin, cylinders;

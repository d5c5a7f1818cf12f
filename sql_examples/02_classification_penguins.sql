-- Palmer penguins: tell the species (3 classes) and the sex (2 classes) from body measurements.
-- Run from the repository root:   sqlml penguins.duckdb sql_examples/02_classification_penguins.sql

-- 1. Load the bundled data (344 penguins; 'NA' marks a missing value).
CREATE OR REPLACE TABLE penguins AS
SELECT row_number() OVER () AS penguin_id, *
FROM read_csv('sql_examples/data/penguins.csv', nullstr = 'NA');

-- 2. Species by multinomial logistic regression, 30% of the rows held out for evaluation.
CREATE OR REPLACE MODEL species_logistic
OPTIONS (model_type = 'logistic_reg', input_label_cols = ['species'],
         data_split_method = 'RANDOM', data_split_eval_fraction = 0.3) AS
SELECT * EXCLUDE (penguin_id) FROM penguins;

-- 3. Without input data, ML.EVALUATE scores the evaluation split kept at training.
SELECT * FROM ML.EVALUATE(MODEL species_logistic);

-- 4. Species by random forest, and its confusion counts per island.
CREATE OR REPLACE MODEL species_forest
OPTIONS (model_type = 'random_forest_classifier', input_label_cols = ['species'],
         data_split_method = 'RANDOM', data_split_eval_fraction = 0.3) AS
SELECT * EXCLUDE (penguin_id) FROM penguins;

SELECT island, species, predicted_species, count(*) AS penguins
FROM ML.PREDICT(MODEL species_forest, TABLE penguins)
GROUP BY ALL
ORDER BY ALL;

-- 5. Sex by boosted trees (a binary classifier); the penguins whose sex was not recorded are
--    dropped from training (their label is NULL).
CREATE OR REPLACE MODEL sex_boosted
OPTIONS (model_type = 'boosted_tree_classifier', input_label_cols = ['sex'],
         data_split_method = 'RANDOM', data_split_eval_fraction = 0.3) AS
SELECT species, bill_length_mm, bill_depth_mm, flipper_length_mm, body_mass_g, sex FROM penguins;

-- 6. A stricter threshold: a penguin is called 'male' (the positive, higher label) only above 0.7.
SELECT * FROM ML.EVALUATE(MODEL sex_boosted, STRUCT(0.7 AS threshold));

-- 7. Predict the sex of the penguins that have none recorded, with the probability of 'male'.
SELECT penguin_id, species, predicted_sex,
       round(list_filter(predicted_sex_probs, lambda p: p.label = 'male')[1].prob, 3) AS p_male
FROM ML.PREDICT(MODEL sex_boosted, (SELECT * FROM penguins WHERE sex IS NULL))
ORDER BY p_male DESC;

-- 8. The models now stored in this database.
SHOW MODELS;

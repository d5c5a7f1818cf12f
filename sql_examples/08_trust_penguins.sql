-- Can we trust a model? Explanations, fairness, error slices, data checks, a model card, versions.
-- Run from the repository root:   sqlml penguins.duckdb sql_examples/08_trust_penguins.sql

-- 1. Penguins heavier than 4,050 g, to be told from bill, flipper, species and island (not from sex).
CREATE OR REPLACE TABLE heavy AS
SELECT row_number() OVER () AS penguin_id, *, body_mass_g > 4050 AS heavy
FROM read_csv('sql_examples/data/penguins.csv', nullstr = 'NA')
WHERE sex IS NOT NULL AND body_mass_g IS NOT NULL;

CREATE OR REPLACE MODEL heavy_model
OPTIONS (model_type = 'boosted_tree_classifier', input_label_cols = ['heavy'],
         data_split_method = 'RANDOM', data_split_eval_fraction = 0.3, enable_global_explain = TRUE) AS
SELECT bill_length_mm, bill_depth_mm, flipper_length_mm, species, island, heavy FROM heavy;

-- 2. Why: each penguin's top 3 attributions (TreeSHAP; they add up to prediction_value), and the
--    mean absolute attribution of each input over the training rows.
SELECT penguin_id, predicted_heavy, top_feature_attributions, baseline_prediction_value, prediction_value
FROM ML.EXPLAIN_PREDICT(MODEL heavy_model, (FROM heavy WHERE penguin_id <= 5), STRUCT(3 AS top_k_features));

SELECT * FROM ML.GLOBAL_EXPLAIN(MODEL heavy_model);

-- 3. Fairness between the sexes: males are heavier, so a model of body size selects more of them.
SELECT "group", count, selection_rate, true_positive_rate, demographic_parity_difference
FROM ML.FAIRNESS(MODEL heavy_model, TABLE heavy, STRUCT('sex' AS sensitive_feature));

-- 4. The same model trained under a demographic parity constraint (a new version), and the gap again.
CREATE OR REPLACE MODEL heavy_model
OPTIONS (model_type = 'boosted_tree_classifier', input_label_cols = ['heavy'],
         data_split_method = 'RANDOM', data_split_eval_fraction = 0.3,
         fairness_constraint = 'demographic_parity', sensitive_feature = 'sex') AS
SELECT bill_length_mm, bill_depth_mm, flipper_length_mm, species, island, heavy, sex FROM heavy;

SELECT "group", count, selection_rate, true_positive_rate, demographic_parity_difference
FROM ML.FAIRNESS(MODEL heavy_model, TABLE heavy, STRUCT('sex' AS sensitive_feature));

-- 5. Where does it fail? Slices of the rows whose error is significantly above the overall error.
SELECT slice, size, round(error, 3) AS error, round(overall_error, 3) AS overall, round(effect_size, 2) AS effect
FROM ML.ERROR_SLICES(MODEL heavy_model, TABLE heavy);

-- 6. Versions: both are kept with their lineage; roll back to the unconstrained one, then forward again.
SELECT version, active, training_rows, metrics->>'accuracy' AS accuracy FROM ML.VERSIONS(MODEL heavy_model);
ALTER MODEL heavy_model SET ACTIVE VERSION 1;
ALTER MODEL heavy_model SET ACTIVE VERSION 2;
ALTER MODEL heavy_model SET OPTIONS (
    description = 'Flags heavy penguins from measurements; trained to select both sexes at the same rate.',
    labels = [('team', 'ecology')]);

-- 7. Is new data like the training data? Skew of the Dream island's penguins against the statistics kept
--    at training, and drift between the islands.
SELECT * FROM ML.VALIDATE_DATA_SKEW(MODEL heavy_model, (FROM heavy WHERE island = 'Dream'));
SELECT * FROM ML.VALIDATE_DATA_DRIFT((FROM heavy WHERE island = 'Biscoe'), (FROM heavy WHERE island = 'Dream'),
                                     STRUCT(0.2 AS categorical_default_threshold));
SELECT name, num_nulls, min, max, mean, "unique" FROM ML.DESCRIBE_DATA(TABLE heavy);

-- 8. The model card, with fairness and slices computed on the rows given (Markdown; 'html' adds plots).
CREATE OR REPLACE TABLE heavy_card AS
SELECT model_card FROM ML.MODEL_CARD(MODEL heavy_model, TABLE heavy, STRUCT('sex' AS sensitive_feature));
SELECT length(model_card) AS characters FROM heavy_card;

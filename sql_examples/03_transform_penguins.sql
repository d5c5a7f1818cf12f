-- TRANSFORM: preprocessing that belongs to the model. Statistics are learned on the training split,
-- stored with the model, and applied again at prediction time.
-- Run from the repository root:   sqlml penguins.duckdb sql_examples/03_transform_penguins.sql

CREATE OR REPLACE TABLE penguins AS
SELECT row_number() OVER () AS penguin_id, *
FROM read_csv('sql_examples/data/penguins.csv', nullstr = 'NA');

-- 1. Body mass from scaled measurements, a bucketed bill length, the sex imputed with its most frequent
--    value, a ratio of two columns and a cross of island and sex.
CREATE OR REPLACE MODEL mass_transformed
TRANSFORM (ML.STANDARD_SCALER(flipper_length_mm) OVER () AS flipper,
           ML.QUANTILE_BUCKETIZE(bill_length_mm, 4) OVER () AS bill_quartile,
           ML.IMPUTER(sex, 'most_frequent') OVER () AS sex,
           bill_depth_mm / bill_length_mm AS bill_ratio,
           ML.FEATURE_CROSS(STRUCT_PACK(island := island, sex := coalesce(sex, 'unknown'))) AS where_who,
           body_mass_g)
OPTIONS (model_type = 'linear_reg', input_label_cols = ['body_mass_g'],
         data_split_method = 'RANDOM', data_split_eval_fraction = 0.25)
AS SELECT * EXCLUDE (penguin_id) FROM penguins;

-- 2. What the model sees: ML.TRANSFORM applies the fitted TRANSFORM to any rows.
SELECT * FROM ML.TRANSFORM(MODEL mass_transformed, TABLE penguins) LIMIT 5;

-- 3. Evaluation on the held-out quarter, and predictions from raw columns only.
SELECT mean_absolute_error, r2_score FROM ML.EVALUATE(MODEL mass_transformed);

SELECT round(predicted_body_mass_g) AS predicted_mass
FROM ML.PREDICT(MODEL mass_transformed,
                (SELECT 210 AS flipper_length_mm, 47.5 AS bill_length_mm, 15.0 AS bill_depth_mm,
                        'Biscoe' AS island, NULL AS sex));

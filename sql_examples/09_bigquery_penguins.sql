-- BigQuery ML's penguins tutorial, as GoogleSQL: the dialect switch, then its statements as BigQuery runs them
-- ("strings", `dataset.table` names, IFNULL, FARM_FINGERPRINT, EXTRACT, ...), on the bundled penguins.
-- Run from the repository root:   sqlml penguins.duckdb sql_examples/09_bigquery_penguins.sql
-- (or start with the dialect: sqlml --dialect bigquery penguins.duckdb; docs/bigquery.md tells the ways)

-- 1. The data, loaded in DuckDB's dialect under BigQuery's dataset and column names.
CREATE SCHEMA IF NOT EXISTS ml_datasets;
CREATE SCHEMA IF NOT EXISTS bqml_tutorial;
CREATE OR REPLACE TABLE ml_datasets.penguins AS
SELECT row_number() OVER () AS penguin_id, species, island, bill_length_mm AS culmen_length_mm,
       bill_depth_mm AS culmen_depth_mm, flipper_length_mm, body_mass_g, upper(sex) AS sex
FROM read_csv('sql_examples/data/penguins.csv', nullstr = 'NA');

-- 2. From here on, GoogleSQL.
SET sqlml_dialect = 'bigquery';

-- 3. The tutorial's model, trained on a stable 80% of the penguins (a FARM_FINGERPRINT split, BigQuery's idiom).
CREATE OR REPLACE MODEL `bqml_tutorial.penguins_model`
OPTIONS (model_type = 'linear_reg', input_label_cols = ['body_mass_g'], enable_global_explain = TRUE) AS
SELECT * EXCEPT (penguin_id)
FROM `ml_datasets.penguins`
WHERE body_mass_g IS NOT NULL
  AND MOD(ABS(FARM_FINGERPRINT(CAST(penguin_id AS STRING))), 10) < 8;

-- 4. Evaluate on the other 20%, predict for one island, explain.
SELECT * FROM ML.EVALUATE(MODEL `bqml_tutorial.penguins_model`,
  (SELECT * FROM `ml_datasets.penguins`
   WHERE body_mass_g IS NOT NULL AND MOD(ABS(FARM_FINGERPRINT(CAST(penguin_id AS STRING))), 10) >= 8));

SELECT predicted_body_mass_g, species, sex, IFNULL(sex, "unknown") AS sex_or_unknown
FROM ML.PREDICT(MODEL `bqml_tutorial.penguins_model`, (SELECT * FROM `ml_datasets.penguins` WHERE island = "Biscoe"))
ORDER BY predicted_body_mass_g DESC
LIMIT 5;

SELECT * FROM ML.GLOBAL_EXPLAIN(MODEL `bqml_tutorial.penguins_model`);

-- 5. The preprocessing functions work in any query, as BigQuery's pages show them.
SELECT species, ML.STANDARD_SCALER(flipper_length_mm) OVER () AS flipper_scaled,
       ML.BUCKETIZE(body_mass_g, [3500, 4500, 5500]) AS mass_bucket
FROM `ml_datasets.penguins`
WHERE body_mass_g IS NOT NULL
LIMIT 5;

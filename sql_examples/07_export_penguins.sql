-- Penguins to an edge device: EXPORT MODEL writes a verified ONNX file (and a JSON description and a model
-- card beside it) that needs nothing but ONNX Runtime.
-- Run from the repository root:   sqlml penguins.duckdb sql_examples/07_export_penguins.sql
-- Then, "on the device" (numpy + onnxruntime only):
--   python sqlml/export/runner.py sql_examples/edge/species_tree.onnx sql_examples/edge/penguins.csv

-- 1. The bundled data (344 penguins; 'NA' marks a missing value).
CREATE OR REPLACE TABLE penguins AS
SELECT row_number() OVER () AS penguin_id, * FROM read_csv('sql_examples/data/penguins.csv', nullstr = 'NA');

-- 2. A boosted tree whose TRANSFORM clause goes into the exported graph with it: the device sends raw columns.
CREATE OR REPLACE MODEL species_tree
TRANSFORM (ML.STANDARD_SCALER(bill_length_mm) OVER () AS bill_length, bill_length_mm / bill_depth_mm AS bill_shape,
           ML.IMPUTER(flipper_length_mm, 'median') OVER () AS flipper, body_mass_g, island, sex, species)
OPTIONS (model_type = 'boosted_tree_classifier', input_label_cols = ['species'], data_split_method = 'RANDOM',
         data_split_eval_fraction = 0.3) AS
SELECT * FROM penguins;

-- 3. Export it. The row returned says what was written and how it was verified on the evaluation split:
--    label agreement with ML.PREDICT, the largest probability difference, accuracy native and exported.
EXPORT MODEL species_tree OPTIONS (uri = 'sql_examples/edge/species_tree.onnx', overwrite = TRUE);

-- 4. A DNN, exported with int8 weights: a fraction of the bytes, refused if it cost more than 1 accuracy point.
CREATE OR REPLACE MODEL species_dnn
OPTIONS (model_type = 'dnn_classifier', input_label_cols = ['species'], hidden_units = [64, 32],
         learn_rate = 0.01, data_split_method = 'RANDOM', data_split_eval_fraction = 0.3) AS
SELECT * EXCLUDE (penguin_id, year) FROM penguins;
EXPORT MODEL species_dnn OPTIONS (uri = 'sql_examples/edge/species_dnn.onnx', quantize = 'int8', overwrite = TRUE);

-- 5. Rows for the device, NULL written as an empty field (the runner's NULL).
COPY (SELECT * EXCLUDE (species) FROM penguins) TO 'sql_examples/edge/penguins.csv' (HEADER);

-- Penguins to a microcontroller: EXPORT MODEL ... OPTIONS(format = 'c') writes one header-only C99 file, no
-- allocation and no library beyond <math.h>, that sql_examples/edge/main.c includes and the Makefile beside it
-- builds for a Cortex-M4 (run under QEMU) or for this machine.
-- Run from the repository root:   sqlml penguins.duckdb sql_examples/edge/penguins_to_c.sql
-- Then:                            make -C sql_examples/edge run     (or: host && build/penguins_host)

-- 1. The bundled data (344 penguins; 'NA' marks a missing value).
CREATE OR REPLACE TABLE penguins AS
SELECT row_number() OVER () AS penguin_id, * FROM read_csv('sql_examples/data/penguins.csv', nullstr = 'NA');

-- 2. A small boosted tree on the raw measurements, island and sex (the device fills one field per column).
CREATE OR REPLACE MODEL species_edge
OPTIONS (model_type = 'boosted_tree_classifier', input_label_cols = ['species'], max_iterations = 10,
         data_split_method = 'RANDOM', data_split_eval_fraction = 0.3) AS
SELECT * EXCLUDE (penguin_id, year) FROM penguins;

-- 3. Export it as C with int16 splits and leaves; the row returned says how it was verified (compiled with cc
--    and run on the evaluation split: label agreement with ML.PREDICT, accuracy native and exported) and the
--    compiled code's size. main.c uses the prefix 'penguins': penguins_input, penguins_predict, ...
EXPORT MODEL species_edge
OPTIONS (uri = 'sql_examples/edge/penguins.h', format = 'c', quantize = 'int16', prefix = 'penguins',
         overwrite = TRUE);

-- 4. What the device should print for the penguin main.c hard-codes (penguin 277, a Chinstrap from Dream).
SELECT penguin_id, species, predicted_species
FROM ML.PREDICT(MODEL species_edge, (FROM penguins WHERE penguin_id = 277));

-- Unsupervised: k-means groups the penguins without being told their species; PCA draws them in 2-D.
-- Run from the repository root:   sqlml penguins.duckdb sql_examples/05_clustering_penguins.sql

CREATE OR REPLACE TABLE penguins AS
SELECT row_number() OVER () AS penguin_id, *
FROM read_csv('sql_examples/data/penguins.csv', nullstr = 'NA');

-- 1. Three clusters of standardized body measurements (k-means++ starts).
CREATE OR REPLACE MODEL penguin_groups
OPTIONS (model_type = 'kmeans', num_clusters = 3, kmeans_init_method = 'KMEANS++')
AS SELECT bill_length_mm, bill_depth_mm, flipper_length_mm, body_mass_g FROM penguins;

SELECT * FROM ML.EVALUATE(MODEL penguin_groups);

-- 2. How the clusters line up with the species they were never shown.
SELECT CENTROID_ID, species, count(*) AS penguins
FROM ML.PREDICT(MODEL penguin_groups, TABLE penguins)
GROUP BY ALL ORDER BY CENTROID_ID, penguins DESC;

-- 3. The penguins furthest from their own centroid: candidates for a closer look.
SELECT penguin_id, species, CENTROID_ID, round(NEAREST_CENTROIDS_DISTANCE[1].DISTANCE, 2) AS distance
FROM ML.PREDICT(MODEL penguin_groups, TABLE penguins)
ORDER BY distance DESC LIMIT 5;

-- 4. Two principal components of the same measurements, averaged per species.
CREATE OR REPLACE MODEL penguin_axes
OPTIONS (model_type = 'pca', num_principal_components = 2)
AS SELECT bill_length_mm, bill_depth_mm, flipper_length_mm, body_mass_g FROM penguins;

SELECT * FROM ML.EVALUATE(MODEL penguin_axes);

SELECT species, round(avg(principal_component_1), 2) AS pc1, round(avg(principal_component_2), 2) AS pc2
FROM ML.PREDICT(MODEL penguin_axes, TABLE penguins)
GROUP BY species ORDER BY species;

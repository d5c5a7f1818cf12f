-- page: https://cloud.google.com/bigquery/docs/making-predictions-with-sklearn-models-in-onnx-format
-- The tutorial's model (scikit-learn's StandardScaler + RandomForestClassifier pipeline on iris, converted with
-- skl2onnx) is written by tests/conformance/datasets.py:write_iris_onnx.
-- adapted (every case): `bigquery-public-data.ml_datasets.iris` -> `ml_datasets.iris`; BUCKET_PATH -> the local file

-- case: import_onnx
-- columns: none
 CREATE OR REPLACE MODEL `bqml_tutorial.imported_onnx_model`
  OPTIONS (MODEL_TYPE='ONNX',
   MODEL_PATH='{tmp}/pipeline_rf.onnx');

-- case: predict
-- columns: label, probabilities, sepal_length, sepal_width, petal_length, petal_width, species
SELECT *
  FROM ML.PREDICT(MODEL `bqml_tutorial.imported_onnx_model`,
    (
    SELECT * FROM `ml_datasets.iris`
    )
)

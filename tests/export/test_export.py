"""EXPORT MODEL round trips on the bundled data: the written .onnx file, run by ONNX Runtime alone, gives
ML.PREDICT's labels and probabilities / values (the engine's own predictions, themselves checked against
scikit-learn and LightGBM in tests/engine)."""

from __future__ import annotations

import json

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from tests.export.onnx_helpers import ROOT, result_row, rows_of, run_onnx

PENGUINS = "SELECT * EXCLUDE (year) FROM penguins"
CARS = "SELECT * EXCLUDE (name) FROM cars WHERE mpg IS NOT NULL"
CASES = {  # id: (model_type, label, query, options)
    "linear_reg": ("linear_reg", "mpg", CARS, ""),
    "logistic_reg": ("logistic_reg", "species", PENGUINS, ""),
    "logistic_reg_binary": ("logistic_reg", "sex", PENGUINS, ""),
    "boosted_tree_regressor": ("boosted_tree_regressor", "mpg", CARS, ", num_parallel_tree=1"),
    "boosted_tree_classifier": ("boosted_tree_classifier", "species", PENGUINS, ""),
    "boosted_tree_binary": ("boosted_tree_classifier", "sex", PENGUINS, ""),
    "random_forest_regressor": ("random_forest_regressor", "mpg", CARS, ", num_parallel_tree=30"),
    "random_forest_classifier": ("random_forest_classifier", "species", PENGUINS, ", num_parallel_tree=30"),
    # histogram splits: cars' weight_lbs (356 distinct values) in 256 bins, penguins' measurements in 33
    "random_forest_hist": ("random_forest_regressor", "mpg", CARS, ", num_parallel_tree=30, tree_method='HIST'"),
    "random_forest_approx": (
        "random_forest_classifier",
        "species",
        PENGUINS,
        ", num_parallel_tree=30, tree_method='APPROX'",
    ),
    "dnn_regressor": ("dnn_regressor", "mpg", CARS, ", hidden_units=[16, 8], max_iterations=50"),
    "dnn_classifier": ("dnn_classifier", "species", PENGUINS, ", hidden_units=[16], learn_rate=0.01"),
    "dnn_binary": ("dnn_classifier", "sex", PENGUINS, ", activation_fn='TANH'"),
    "dnn_crelu_rmsprop": (
        "dnn_regressor",
        "mpg",
        CARS,
        ", activation_fn='CRELU', hidden_units=[8, 4], optimizer='RMSPROP', learn_rate=0.01",
    ),
    "dnn_selu_ftrl": (
        "dnn_classifier",
        "species",
        PENGUINS,
        ", activation_fn='SELU', optimizer='FTRL', learn_rate=0.1",
    ),
    "kmeans": ("kmeans", None, "SELECT bill_length_mm, flipper_length_mm, island FROM penguins", ", num_clusters=4"),
    "kmeans_cosine": (
        "kmeans",
        None,
        "SELECT bill_length_mm, body_mass_g FROM penguins",
        ", num_clusters=3, distance_type='COSINE'",
    ),
    "pca": (
        "pca",
        None,
        "SELECT bill_length_mm, bill_depth_mm, body_mass_g, sex FROM penguins",
        ", num_principal_components=2",
    ),
    "tuned_boosted_tree": (
        "boosted_tree_regressor",
        "mpg",
        CARS,
        ", num_trials=2, max_tree_depth=HPARAM_CANDIDATES([3, 5])",
    ),
    "automl_classifier": ("automl_classifier", "species", PENGUINS, ", budget_hours=0.002"),
}


def create(con, case: str) -> tuple[str | None, str]:
    model_type, label, query, options = CASES[case]
    labels = f", input_label_cols=['{label}']" if label else ""
    con.cursor().execute(
        f"CREATE OR REPLACE MODEL {case} OPTIONS(model_type='{model_type}'{labels}{options}) AS {query}"
    )
    return label, query


@pytest.mark.parametrize("case", CASES)
def test_round_trip(data, tmp_path, case):
    """Every row of the data (NULLs included): labels equal, probabilities / values within 1e-9."""
    label, query = create(data, case)
    cur = data.cursor()
    cur.execute(f"EXPORT MODEL {case} OPTIONS(uri='{tmp_path}/m.onnx')")
    result = result_row(cur)
    assert result["uri"] == f"{tmp_path}/m.onnx" and result["quantize"] == "none" and result["rows_verified"] > 0
    rows = rows_of(data, query)
    got = run_onnx(tmp_path / "m.onnx", rows)
    predicted = rows_of(data, f"SELECT * FROM ML.PREDICT(MODEL {case}, ({query}))")
    if CASES[case][0] == "kmeans":
        assert got["CENTROID_ID"].tolist() == [r["CENTROID_ID"] for r in predicted]
        nearest = np.array([r["NEAREST_CENTROIDS_DISTANCE"][0]["DISTANCE"] for r in predicted])
        np.testing.assert_allclose(got["centroid_distances"].min(axis=1), nearest, rtol=1e-9, atol=1e-9)
    elif CASES[case][0] == "pca":
        expected = np.array([[r["principal_component_1"], r["principal_component_2"]] for r in predicted])
        np.testing.assert_allclose(got["principal_components"], expected, rtol=1e-9, atol=1e-9)
    elif f"predicted_{label}_probs" in got:
        assert got[f"predicted_{label}"].tolist() == [r[f"predicted_{label}"] for r in predicted]
        probs = np.array([[e["prob"] for e in r[f"predicted_{label}_probs"]] for r in predicted])
        np.testing.assert_allclose(got[f"predicted_{label}_probs"], probs, atol=1e-9)
        classes = [e["label"] for e in predicted[0][f"predicted_{label}_probs"]]
        assert json.loads((tmp_path / "m.json").read_text())["classes"] == classes
    else:
        expected = np.array([r[f"predicted_{label}"] for r in predicted])
        np.testing.assert_allclose(got[f"predicted_{label}"], expected, rtol=1e-9)
    sidecar = json.loads((tmp_path / "m.json").read_text())
    assert [i["name"] for i in sidecar["inputs"]] == [
        i.name for i in ort.InferenceSession(str(tmp_path / "m.onnx")).get_inputs()
    ]
    assert (tmp_path / "m.md").read_text().startswith(f"# Model card: main.{case}")


TRANSFORM = (
    "CREATE OR REPLACE MODEL shaped TRANSFORM(ML.STANDARD_SCALER(bill_length_mm) OVER () AS bl, "
    "ML.MIN_MAX_SCALER(body_mass_g) OVER () AS bm, ML.IMPUTER(flipper_length_mm, 'median') OVER () AS fl, "
    "ML.QUANTILE_BUCKETIZE(bill_depth_mm, 4) OVER () AS bd, ML.BUCKETIZE(body_mass_g, [3000, 4000]) AS bb, "
    "bill_length_mm / bill_depth_mm AS ratio, ln(body_mass_g) - 8 AS log_mass, island, "
    "ML.LABEL_ENCODER(island) OVER () AS il, ML.ROBUST_SCALER(body_mass_g) OVER () AS rb, "
    "ML.MAX_ABS_SCALER(bill_depth_mm) OVER () AS ma, ML.IMPUTER(sex, 'most_frequent') OVER () AS si, "
    "CASE WHEN flipper_length_mm > 200 THEN 'long' ELSE 'short' END AS flipper, "
    "ML.ONE_HOT_ENCODER(sex) OVER () AS sex_hot, ML.FEATURE_CROSS(STRUCT_PACK(i := island, s := sex)) AS cross, "
    "ML.POLYNOMIAL_EXPAND(STRUCT_PACK(a := bill_length_mm, b := bill_depth_mm), 2) AS poly, "
    "CASE WHEN NOT (body_mass_g > 4000 AND sex = 'male') THEN 'other' ELSE 'heavy male' END AS heavy, "
    "island || '/' || sex AS where_who, GREATEST(bill_length_mm, flipper_length_mm / 5) AS longest, "
    "ML.NORMALIZER([bill_length_mm, bill_depth_mm, flipper_length_mm]) AS shape, species) "
    "OPTIONS(model_type='{model_type}', input_label_cols=['species']) AS SELECT * FROM penguins"
)


@pytest.mark.parametrize("model_type", ["logistic_reg", "boosted_tree_classifier"])
def test_transform_is_inside_the_graph(data, tmp_path, model_type):
    """The device feeds raw columns; every row (NULLs included) and a row fed alone match ML.PREDICT."""
    data.cursor().execute(TRANSFORM.format(model_type=model_type))
    data.cursor().execute(f"EXPORT MODEL shaped OPTIONS(uri='{tmp_path}/t.onnx')")
    rows = rows_of(data, "SELECT * FROM penguins")
    got = run_onnx(tmp_path / "t.onnx", rows)
    assert sorted(i["name"] for i in json.loads((tmp_path / "t.json").read_text())["inputs"]) == sorted(
        ["bill_length_mm", "body_mass_g", "flipper_length_mm", "bill_depth_mm", "island", "sex"]
    )
    predicted = rows_of(data, "SELECT * FROM ML.PREDICT(MODEL shaped, TABLE penguins)")
    assert got["predicted_species"].tolist() == [r["predicted_species"] for r in predicted]
    probs = np.array([[e["prob"] for e in r["predicted_species_probs"]] for r in predicted])
    np.testing.assert_allclose(got["predicted_species_probs"], probs, atol=1e-9)
    alone = run_onnx(tmp_path / "t.onnx", rows[3:4])  # penguin 4 has NULL measurements
    np.testing.assert_allclose(alone["predicted_species_probs"][0], probs[3], atol=1e-9)


def test_target_opset_is_the_default_domain_version(data, tmp_path):
    create(data, "linear_reg")
    data.cursor().execute(f"EXPORT MODEL linear_reg OPTIONS(uri='{tmp_path}/m.onnx', target_opset=23)")
    graph = onnx.load(tmp_path / "m.onnx")
    assert {o.domain: o.version for o in graph.opset_import} == {"": 23, "ai.onnx.ml": 5}
    rows = rows_of(data, CARS)
    expected = [r["predicted_mpg"] for r in rows_of(data, f"SELECT * FROM ML.PREDICT(MODEL linear_reg, ({CARS}))")]
    np.testing.assert_allclose(run_onnx(tmp_path / "m.onnx", rows)["predicted_mpg"], expected, rtol=1e-12)


TEXT = (
    "CREATE OR REPLACE MODEL text TRANSFORM(ML.TF_IDF(string_split(review, ' '), 500, 2) OVER () AS words, "
    "ML.BAG_OF_WORDS(ML.NGRAMS(string_split(review, ' '), [2, 2]), 500, 3) OVER () AS bigrams, "
    "ML.MULTI_HOT_ENCODER(string_split(review, ' '), 50, 1) OVER () AS hot, "
    "ML.NGRAMS(string_split(review, ' '), [1, 3], '+') AS grams, sentiment) "
    "OPTIONS(model_type='logistic_reg', input_label_cols=['sentiment']) AS SELECT * FROM reviews"
)


def test_text_functions_are_inside_the_graph(data, tmp_path):
    """TF_IDF, BAG_OF_WORDS over NGRAMS, MULTI_HOT_ENCODER and NGRAMS as a feature, from the raw review
    text: every shipped review plus a NULL one, unseen words, a doubled space and a one-word review."""
    cur = data.cursor()
    cur.execute(f"CREATE OR REPLACE TABLE reviews AS FROM read_csv('{ROOT}/sql_examples/data/reviews.csv')")
    cur.execute(TEXT)
    cur.execute(f"EXPORT MODEL text OPTIONS(uri='{tmp_path}/t.onnx')")
    query = (
        "SELECT review FROM reviews UNION ALL SELECT * FROM (VALUES (NULL), ('zebra quartz'), "
        "('great  product'), ('great')) v(review)"
    )
    got = run_onnx(tmp_path / "t.onnx", rows_of(data, query))
    predicted = rows_of(data, f"SELECT * FROM ML.PREDICT(MODEL text, ({query}))")
    assert got["predicted_sentiment"].tolist() == [r["predicted_sentiment"] for r in predicted]
    probs = np.array([[e["prob"] for e in r["predicted_sentiment_probs"]] for r in predicted])
    np.testing.assert_allclose(got["predicted_sentiment_probs"], probs, atol=1e-9)


@pytest.mark.parametrize("activation_fn", ["CRELU", "ELU", "RELU", "RELU6", "SELU", "SIGMOID", "TANH"])
def test_dnn_activation_in_the_graph_is_tensorflows(activation_fn):
    """A network of one hidden unit between unit weights: the exported graph computes TensorFlow's activation
    (tests/engine/reference.py) on [-10, 10], past RELU6's clip at 6; CRELU's two outputs [relu(z), relu(-z)]
    weighted 1 and -2."""
    from onnx import TensorProto

    from sqlml.engine.families.dnn import ACTIVATIONS, DNNModel
    from sqlml.export.estimators import BUILDERS
    from sqlml.export.graph import Graph
    from tests.engine.reference import TF_ACTIVATIONS

    crelu = activation_fn == "CRELU"
    output_weights = [[1.0], [-2.0]] if crelu else [[1.0]]
    model = DNNModel([[[1.0]], output_weights], [[0.0], [0.0]], ACTIVATIONS[activation_fn], 0)
    g = Graph()
    g.output(BUILDERS["dnn"](g, model, g.input("x", TensorProto.DOUBLE, [None, 1])), "y", TensorProto.DOUBLE, [None])
    session = ort.InferenceSession(g.model("", {}).SerializeToString(), providers=["CPUExecutionProvider"])
    z = np.linspace(-10, 10, 401) + 0.013
    (got,) = session.run(None, {"x": z.reshape(-1, 1)})
    relu = TF_ACTIVATIONS["RELU"]
    expected = [relu(v) - 2 * relu(-v) if crelu else TF_ACTIVATIONS[activation_fn](v) for v in z]
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)

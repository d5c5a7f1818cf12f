"""quantize='int8' | 'float16' | 'auto': sizes, nodes quantized, and the accuracy kept, measured by running
the written file with ONNX Runtime against ML.PREDICT and the true labels."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import onnx
import pytest
from onnxmltools import convert_lightgbm
from onnxmltools.convert.common.data_types import FloatTensorType

import sqlml
from tests.export.onnx_helpers import result_row, rows_of, run_onnx

DNN = (
    "CREATE OR REPLACE MODEL dnn OPTIONS(model_type='dnn_classifier', input_label_cols=['species'], "
    "hidden_units=[256, 128], learn_rate=0.01) AS SELECT * EXCLUDE (year) FROM penguins"
)


def _export(con, tmp_path, model: str, quantize: str, extra: str = "") -> tuple[dict, onnx.ModelProto]:
    cur = con.cursor()
    cur.execute(f"EXPORT MODEL {model} OPTIONS(uri='{tmp_path}/{quantize}.onnx', quantize='{quantize}'{extra})")
    return result_row(cur), onnx.load(tmp_path / f"{quantize}.onnx")


def _accuracy(labels, rows) -> float:
    return float(np.mean([label == row["species"] for label, row in zip(labels, rows)]))


def test_int8_dnn_is_under_a_third_of_float32_and_keeps_accuracy(data, tmp_path):
    data.cursor().execute(DNN)
    rows = rows_of(data, "SELECT * EXCLUDE (year) FROM penguins")
    native = [r["predicted_species"] for r in rows_of(data, "SELECT * FROM ML.PREDICT(MODEL dnn, TABLE penguins)")]
    result, graph = _export(data, tmp_path, "dnn", "int8")
    assert (tmp_path / "int8.onnx").stat().st_size <= 0.3 * result["bytes_unquantized"]
    assert [n.op_type for n in graph.graph.node].count("MatMulInteger") == 3 == result["quantized_nodes"]
    got = run_onnx(tmp_path / "int8.onnx", rows)["predicted_species"]
    assert _accuracy(native, rows) - _accuracy(got, rows) <= 0.005


def test_float16_dnn_stores_half_precision_weights(data, tmp_path):
    data.cursor().execute(DNN)
    rows = rows_of(data, "SELECT * EXCLUDE (year) FROM penguins")
    predicted = rows_of(data, "SELECT * FROM ML.PREDICT(MODEL dnn, TABLE penguins)")
    result, graph = _export(data, tmp_path, "dnn", "float16")
    weights = [t for t in graph.graph.initializer if np.prod(t.dims) >= 1000]
    assert weights and all(t.data_type == onnx.TensorProto.FLOAT16 for t in weights)
    assert result["bytes"] <= 0.55 * result["bytes_unquantized"]
    got = run_onnx(tmp_path / "float16.onnx", rows)
    assert got["predicted_species"].tolist() == [r["predicted_species"] for r in predicted]
    probs = np.array([[e["prob"] for e in r["predicted_species_probs"]] for r in predicted])
    np.testing.assert_allclose(got["predicted_species_probs"], probs, atol=1e-3)


def test_auto_picks_int8_for_a_dnn_float16_for_trees_and_none_for_kmeans(data, tmp_path):
    data.cursor().execute(DNN)
    assert _export(data, tmp_path, "dnn", "auto")[0]["quantize"] == "int8"
    data.cursor().execute(
        "CREATE OR REPLACE MODEL tree OPTIONS(model_type='boosted_tree_classifier', "
        "input_label_cols=['species']) AS SELECT * EXCLUDE (year) FROM penguins"
    )
    assert _export(data, tmp_path, "tree", "auto", ", overwrite=TRUE")[0]["quantize"] == "float16"
    data.cursor().execute(
        "CREATE OR REPLACE MODEL km OPTIONS(model_type='kmeans', num_clusters=3) "
        "AS SELECT bill_length_mm, body_mass_g FROM penguins"
    )
    assert _export(data, tmp_path, "km", "auto", ", overwrite=TRUE")[0]["quantize"] == "none"


@pytest.mark.parametrize(
    "model_type, options",
    [
        ("boosted_tree_classifier", "max_iterations=100, early_stop=FALSE, max_tree_depth=6"),
        ("random_forest_classifier", "num_parallel_tree=50"),
    ],
)
def test_float16_trees_are_compact_and_agree(data, tmp_path, model_type, options):
    """float16 trees: float32 TreeEnsemble (opset 5), at most 0.6x onnxmltools' float32 ai.onnx.ml export
    of the same LightGBM booster (for the forest: 0.8x our float64 graph), labels agreeing on >= 99.5% of
    the cars rows with ML.PREDICT (cylinders: five classes)."""
    cur = data.cursor()
    cur.execute(
        f"CREATE OR REPLACE MODEL tree OPTIONS(model_type='{model_type}', input_label_cols=['cylinders'], "
        f"{options}) AS SELECT * EXCLUDE (name) FROM cars"
    )
    half, _ = _export(data, tmp_path, "tree", "float16")
    full, _ = _export(data, tmp_path, "tree", "none")
    rows = rows_of(data, "SELECT * EXCLUDE (name) FROM cars")
    got = run_onnx(tmp_path / "float16.onnx", rows)["predicted_cylinders"]
    predicted = [r["predicted_cylinders"] for r in rows_of(data, "SELECT * FROM ML.PREDICT(MODEL tree, TABLE cars)")]
    assert np.mean(np.array(got.tolist()) == np.array(predicted)) >= 0.995
    if model_type.startswith("boosted"):
        cur.execute("SELECT artifact FROM sqlml.model_versions WHERE model_name = 'tree' ORDER BY version DESC")
        booster = lgb.Booster(model_str=cur.fetchone()[0].decode())
        reference = convert_lightgbm(
            booster,
            initial_types=[("X", FloatTensorType([None, booster.num_feature()]))],
            target_opset=15,
            zipmap=False,
        )
        assert half["bytes"] <= 0.6 * reference.ByteSize()
    assert half["bytes"] <= 0.8 * full["bytes"]


def test_a_quantization_that_costs_too_much_is_refused_with_its_figures(data, tmp_path):
    """One outlier 30 standard deviations out stretches the dynamic int8 range of its batch: the RMSE
    rises ~10x; the default 2% limit refuses it and nothing is written, max_metric_drop accepts it."""
    cur = data.cursor()
    cur.execute(
        "CREATE OR REPLACE TABLE outlier AS SELECT CASE WHEN range = 0 THEN 1000.0 ELSE sin(range) END AS x1, "
        "cos(range * 1.3) AS x2, 3 * CASE WHEN range = 0 THEN 1000.0 ELSE sin(range) END + cos(range * 1.3) "
        "+ 0.5 * sin(range * 7.7) AS y FROM range(1000)"
    )
    cur.execute(
        "CREATE OR REPLACE MODEL lin OPTIONS(model_type='linear_reg', input_label_cols=['y'], "
        "data_split_method='NO_SPLIT') AS SELECT * FROM outlier"
    )
    with pytest.raises(sqlml.DataError, match=r"rmse 0\.35\d+ -> \d+\.\d+ \(relative rise \d+\.\d+, limit 0\.0200\)"):
        _export(data, tmp_path, "lin", "int8")
    assert list(tmp_path.iterdir()) == []
    result, _ = _export(data, tmp_path, "lin", "int8", ", max_metric_drop=100")
    rows = rows_of(data, "SELECT * FROM outlier")
    exported = run_onnx(tmp_path / "int8.onnx", rows)["predicted_y"]
    rmse = float(np.sqrt(np.mean((exported - np.array([r["y"] for r in rows])) ** 2)))
    assert rmse == pytest.approx(result["metric_exported"], rel=1e-6) and rmse > 5 * result["metric_native"]

"""CREATE MODEL m OPTIONS(model_type='onnx', model_path=...): ONNX models from sqlml or another tool, run by
ML.PREDICT with their inputs matched to columns by name; and its bad inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sqlml
from tests.engine.reference import fails
from tests.export.onnx_helpers import rows_of

NUMBERS = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]


def _round_trip(con, tmp_path, create: str) -> None:
    """Train model `original` with `create`, export it to m.onnx and import that as model `imported`."""
    cur = con.cursor()
    cur.execute(f"CREATE OR REPLACE MODEL original {create}")
    cur.execute(f"EXPORT MODEL original OPTIONS(uri='{tmp_path}/m.onnx')")
    cur.execute(f"CREATE OR REPLACE MODEL imported OPTIONS(model_type='onnx', model_path='{tmp_path}/m.onnx')")


def test_a_sqlml_export_imported_back_predicts_as_the_original(data, tmp_path):
    _round_trip(
        data,
        tmp_path,
        "OPTIONS(model_type='dnn_classifier', input_label_cols=['species'], "
        "hidden_units=[16]) AS SELECT * EXCLUDE (year) FROM penguins",
    )
    before = rows_of(data, "SELECT * FROM ML.PREDICT(MODEL original, TABLE penguins)")
    after = rows_of(data, "SELECT * FROM ML.PREDICT(MODEL imported, TABLE penguins)")
    assert [r["predicted_species"] for r in after] == [r["predicted_species"] for r in before]
    np.testing.assert_allclose(
        [r["predicted_species_probs"] for r in after],
        [[e["prob"] for e in r["predicted_species_probs"]] for r in before],
        atol=1e-12,
    )
    (tmp_path / "m.onnx").unlink()  # the version holds the model, not a reference to the file
    assert len(rows_of(data, "SELECT * FROM ML.PREDICT(MODEL imported, TABLE penguins)")) == 344


def test_a_scikit_learn_pipeline_converted_by_skl2onnx(data, tmp_path):
    """float inputs, one per column; ML.PREDICT gives scikit-learn's own labels and probabilities."""
    rows = [r for r in rows_of(data, "SELECT * FROM penguins") if all(r[c] is not None for c in NUMBERS)]
    X = np.array([[r[c] for c in NUMBERS] for r in rows], dtype=np.float32)
    y = np.array([r["species"] for r in rows])
    frame = pd.DataFrame(X, columns=NUMBERS)
    pipeline = make_pipeline(
        ColumnTransformer([("scaled", StandardScaler(), NUMBERS)]), LogisticRegression(max_iter=1000)
    ).fit(frame, y)
    graph = convert_sklearn(
        pipeline,
        initial_types=[(c, FloatTensorType([None, 1])) for c in NUMBERS],
        options={LogisticRegression: {"zipmap": False}},
    )
    (tmp_path / "sk.onnx").write_bytes(graph.SerializeToString())
    cur = data.cursor()
    cur.execute(f"CREATE OR REPLACE MODEL sk OPTIONS(model_type='onnx', model_path='{tmp_path}/sk.onnx')")
    got = rows_of(
        data,
        "SELECT label, probabilities FROM ML.PREDICT(MODEL sk, (SELECT * FROM penguins WHERE "
        "bill_length_mm IS NOT NULL))",
    )
    assert [r["label"] for r in got] == pipeline.predict(frame).tolist()
    np.testing.assert_allclose([r["probabilities"] for r in got], pipeline.predict_proba(frame), atol=1e-5)


def _two_column_input(path):
    graph = convert_sklearn(
        make_pipeline(StandardScaler(), LogisticRegression()).fit(
            np.array([[0, 1], [1, 0], [2, 2], [3, 1]], dtype=np.float32), [0, 1, 0, 1]
        ),
        initial_types=[("X", FloatTensorType([None, 2]))],
    )
    path.write_bytes(graph.SerializeToString())


@pytest.mark.parametrize(
    "statement, error, fragments",
    [
        (
            "CREATE MODEL i OPTIONS(model_type='onnx', model_path='{dir}/none.onnx')",
            sqlml.ProgrammingError,
            ["model_path", "none.onnx", "cannot be read"],
        ),
        (
            "CREATE MODEL i OPTIONS(model_type='onnx', model_path='{dir}/garbage.onnx')",
            sqlml.DataError,
            ["model_path", "garbage.onnx", "not an ONNX model"],
        ),
        (
            "CREATE MODEL i OPTIONS(model_type='onnx', model_path='{dir}/wide.onnx')",
            sqlml.NotSupportedError,
            ["input 'X'", "[N, 1]"],
        ),
        ("CREATE MODEL i OPTIONS(model_type='onnx')", sqlml.ProgrammingError, ["model_path"]),
        (  # bigqueryml-syntax-create-onnx's Cloud Storage path: local files only
            "CREATE MODEL i OPTIONS(model_type='onnx', model_path='gs://bucket/path/model.onnx')",
            sqlml.NotSupportedError,
            ["model_path", "gs://bucket/path/model.onnx", "is a URL", "local file system"],
        ),
        (
            "CREATE MODEL i OPTIONS(model_type='onnx', model_path='{dir}/wide.onnx') AS SELECT 1",
            sqlml.ProgrammingError,
            ["no AS query"],
        ),
        (
            "CREATE MODEL i OPTIONS(model_type='linear_reg', input_label_cols=['y'])",
            sqlml.ProgrammingError,
            ["AS <query>"],
        ),
    ],
)
def test_bad_imports(data, tmp_path, statement, error, fragments):
    (tmp_path / "garbage.onnx").write_bytes(b"not a protobuf at all")
    _two_column_input(tmp_path / "wide.onnx")
    fails(data, statement.format(dir=tmp_path), error, *fragments)


def test_imported_model_limits(data, tmp_path):
    _round_trip(
        data,
        tmp_path,
        "OPTIONS(model_type='logistic_reg', input_label_cols=['sex']) "
        "AS SELECT bill_length_mm, body_mass_g, sex FROM penguins",
    )
    fails(
        data,
        "SELECT * FROM ML.PREDICT(MODEL imported, (SELECT bill_length_mm FROM penguins))",
        sqlml.ProgrammingError,
        "body_mass_g",
        "ONNX model reads",
    )
    fails(data, "SELECT * FROM ML.EVALUATE(MODEL imported, TABLE penguins)", sqlml.NotSupportedError, "imported ONNX")
    fails(data, f"EXPORT MODEL imported OPTIONS(uri='{tmp_path}/again.onnx')", sqlml.NotSupportedError, "imported ONNX")

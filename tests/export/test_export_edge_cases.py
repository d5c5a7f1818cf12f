"""Cases an independent review found, each once exported wrongly or failing unclearly: the written file,
run by ONNX Runtime alone, equals ML.PREDICT on rows built to hit the case (.5 roundings, decimals,
NULLs, large magnitudes, times in DuckDB's text), or EXPORT MODEL refuses it with a clear error."""

from __future__ import annotations

import csv
import io
import subprocess
import sys

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

import sqlml
from tests.engine.test_errors import fails
from tests.export.test_export import rows_of, run_onnx

TRAIN = ("CREATE OR REPLACE TABLE edge AS SELECT (i % 10)::DOUBLE + 0.2 AS x, (i % 7)::DECIMAL(6, 2) / 4 AS d, "
         "(i % 3 = 0) AS b, ['a', 'b', NULL][i % 3 + 1] AS s, ((i % 10) * 3 + (i % 3))::DOUBLE AS y FROM range(300) t(i)")
PROBES = ("SELECT x::DOUBLE AS x, d::DECIMAL(6, 2) AS d, b, s FROM (VALUES (0.5, 0.25, true, 'a'), "
          "(2.5, 0.35, false, 'b'), (4.5, 1.75, NULL, NULL), (-1.5, 0.05, true, 'a'), (NULL, NULL, false, 'b')) "
          "v(x, d, b, s)")  # typed as the training columns


@pytest.mark.parametrize("item", [
    "CAST(x AS INT) AS f",                   # DuckDB rounds a DOUBLE half to even
    "CAST(d AS INT) AS f",                   # and a DECIMAL half away from zero
    "CAST(x / 3 AS DECIMAL(6, 1)) AS f",     # rounded to the scale
    "CAST(x * 0.37 AS DECIMAL(8, 2)) AS f",
    "CASE WHEN x > 1 THEN x ELSE CAST(NULL AS DOUBLE) END AS f",
    "CASE WHEN b THEN 1 ELSE 0 END AS f",    # a BOOLEAN column as the condition, NULL included
    "CASE WHEN NOT b OR s = 'a' THEN 2 ELSE 3 END AS f",
    "LOG10(x + 10) AS f", "LOG(x + 10) AS f", "LOG(2, x + 10) AS f",
    "ROUND(x) AS f", "COALESCE(d, x, 0) AS f", "LEAST(x, d * 4) AS f",
    "ML.NORMALIZER([x, d, 1]) AS f", "LIST_SUM([x, d]) + NULLIF(x, 2.5) AS f",  # NULL elements and all-NULL
])
def test_transform_expression_on_the_device(data, tmp_path, item):
    cur = data.cursor()
    cur.execute(TRAIN)
    cur.execute(f"CREATE OR REPLACE MODEL e TRANSFORM({item}, y) OPTIONS(model_type='linear_reg', "
                "input_label_cols=['y']) AS SELECT * FROM edge")
    cur.execute(f"EXPORT MODEL e OPTIONS(uri='{tmp_path}/e.onnx')")
    expected = [r["predicted_y"] for r in rows_of(data, f"SELECT * FROM ML.PREDICT(MODEL e, ({PROBES}))")]
    np.testing.assert_allclose(run_onnx(tmp_path / "e.onnx", rows_of(data, PROBES))["predicted_y"], expected,
                               rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("item, shown", [
    ("CASE WHEN s > 'a' THEN 1 ELSE 0 END AS f", "strings compare only with = and <>"),
    ("CAST(FLOOR(x) AS VARCHAR) AS f", "only strings, integers and booleans become text"),
])
def test_transform_expression_refused_by_name(data, tmp_path, item, shown):
    cur = data.cursor()
    cur.execute(TRAIN)
    cur.execute(f"CREATE OR REPLACE MODEL e TRANSFORM({item}, y) OPTIONS(model_type='linear_reg', "
                "input_label_cols=['y']) AS SELECT * FROM edge")
    fails(data, f"EXPORT MODEL e OPTIONS(uri='{tmp_path}/e.onnx')", sqlml.NotSupportedError, "'f'", shown)


def test_float16_keeps_large_preprocessing_constants_in_float32(data, tmp_path):
    """Sixteen features around 1e5: their means would overflow float16; only the weights are halved."""
    cur = data.cursor()
    columns = ", ".join(f"100000 + (i * {k + 1} % 13)::DOUBLE + {k} AS x{k}" for k in range(16))
    cur.execute(f"CREATE OR REPLACE TABLE big AS SELECT {columns}, (i * 7 % 3 = 0) AS y FROM range(400) t(i)")
    cur.execute("CREATE OR REPLACE MODEL big OPTIONS(model_type='logistic_reg', input_label_cols=['y']) AS FROM big")
    cur.execute(f"EXPORT MODEL big OPTIONS(uri='{tmp_path}/b.onnx', quantize='float16')")
    graph = onnx.load(tmp_path / "b.onnx")
    halves = [t.name for t in graph.graph.initializer if t.data_type == TensorProto.FLOAT16]
    assert len(halves) == 1 and "coef" in halves[0]
    got = run_onnx(tmp_path / "b.onnx", rows_of(data, "SELECT * EXCLUDE (y) FROM big"))["predicted_y_probs"]
    expected = [[e["prob"] for e in r["predicted_y_probs"]] for r in rows_of(data, "FROM ML.PREDICT(MODEL big, TABLE big)")]
    np.testing.assert_allclose(got, expected, atol=1e-3)


@pytest.mark.parametrize("model_type", ["linear_reg", "boosted_tree_regressor"])
def test_times_in_duckdbs_text_and_an_all_null_column(data, tmp_path, model_type):
    """A device reading DuckDB's CSV sends '11:00:00', not pyarrow's '11:00:00.000000'; a VARCHAR column
    that was NULL in every training row is unseen in every row."""
    cur = data.cursor()
    cur.execute("CREATE OR REPLACE TABLE clock AS SELECT TIME '10:00:00' + INTERVAL (i % 3) HOUR + "
                "INTERVAL (500 * (i % 2)) MILLISECOND AS tm, NULL::VARCHAR AS note, (i % 3) * 5.0 + (i % 2) AS y "
                "FROM range(200) t(i)")
    cur.execute(f"CREATE OR REPLACE MODEL clock OPTIONS(model_type='{model_type}', input_label_cols=['y']) AS FROM clock")
    cur.execute(f"EXPORT MODEL clock OPTIONS(uri='{tmp_path}/c.onnx')")
    cur.execute(f"COPY (SELECT tm, 'x' AS note FROM clock LIMIT 6) TO '{tmp_path}/c.csv' (HEADER)")
    run = subprocess.run([sys.executable, "-m", "sqlml.export.runner", str(tmp_path / "c.onnx"), str(tmp_path / "c.csv")],
                         capture_output=True, text=True, check=True)
    got = [float(r["predicted_y"]) for r in csv.DictReader(io.StringIO(run.stdout))]
    expected = [r[0] for r in cur.execute("SELECT predicted_y FROM ML.PREDICT(MODEL clock, "
                                          "(SELECT tm, 'x' AS note FROM clock LIMIT 6))").fetchall()]
    np.testing.assert_allclose(got, expected, rtol=1e-9)
    assert len(set(got)) > 1


def test_unsigned_64_bit_integers_go_in_as_double(data, tmp_path):
    cur = data.cursor()
    cur.execute("CREATE OR REPLACE TABLE huge AS SELECT (10000000000000000000 + i * 1000000000000000)::UBIGINT AS u, "
                "i::DOUBLE AS y FROM range(100) t(i)")
    cur.execute("CREATE OR REPLACE MODEL huge OPTIONS(model_type='linear_reg', input_label_cols=['y']) AS FROM huge")
    cur.execute(f"EXPORT MODEL huge OPTIONS(uri='{tmp_path}/u.onnx')")
    assert [i.type.tensor_type.elem_type for i in onnx.load(tmp_path / "u.onnx").graph.input] == [TensorProto.DOUBLE]


def test_column_names_that_collide_with_the_graph(data, tmp_path):
    cur = data.cursor()
    cur.execute("CREATE OR REPLACE TABLE named AS SELECT i::DOUBLE AS \"sqlml:x_1\", i % 5 AS centroid_id FROM range(50) t(i)")
    cur.execute("CREATE OR REPLACE MODEL named OPTIONS(model_type='kmeans', num_clusters=2) AS SELECT centroid_id FROM named")
    fails(data, f"EXPORT MODEL named OPTIONS(uri='{tmp_path}/n.onnx')", sqlml.ProgrammingError,
          "'centroid_id'", "name of an output")
    cur.execute("CREATE OR REPLACE MODEL named OPTIONS(model_type='kmeans', num_clusters=2) AS SELECT \"sqlml:x_1\" FROM named")
    fails(data, f"EXPORT MODEL named OPTIONS(uri='{tmp_path}/n.onnx')", sqlml.ProgrammingError, "'sqlml:x_1'", "rename")
    assert list(tmp_path.iterdir()) == []


def test_a_sidecar_path_that_is_a_directory(data, tmp_path):
    cur = data.cursor()
    cur.execute(TRAIN)
    cur.execute("CREATE OR REPLACE MODEL w OPTIONS(model_type='linear_reg', input_label_cols=['y']) AS FROM edge")
    (tmp_path / "w.json").mkdir()
    fails(data, f"EXPORT MODEL w OPTIONS(uri='{tmp_path}/w.onnx', overwrite=TRUE)", sqlml.ProgrammingError,
          "w.json", "is a directory")
    assert [p.name for p in tmp_path.iterdir()] == ["w.json"]


def test_a_failed_rename_puts_the_previous_files_back(data, tmp_path, monkeypatch):
    """The last rename fails (simulated: os.replace raising for the .md, as a full disk or a foreign owner
    would): the earlier export's three files are back, byte for byte, and nothing else remains."""
    import sqlml.export.exporter as exporter

    cur = data.cursor()
    cur.execute(TRAIN)
    cur.execute("CREATE OR REPLACE MODEL w OPTIONS(model_type='linear_reg', input_label_cols=['y']) AS FROM edge")
    cur.execute(f"EXPORT MODEL w OPTIONS(uri='{tmp_path}/w.onnx')")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    real_replace = exporter.os.replace

    def failing(source, target):
        if str(target).endswith("w.md") and not str(source).startswith(str(tmp_path / ".w.md.old")):
            raise OSError(28, "No space left on device")
        real_replace(source, target)

    cur.execute("CREATE OR REPLACE MODEL w OPTIONS(model_type='linear_reg', input_label_cols=['y'], l2_reg=5) AS FROM edge")
    monkeypatch.setattr(exporter.os, "replace", failing)
    fails(data, f"EXPORT MODEL w OPTIONS(uri='{tmp_path}/w.onnx', overwrite=TRUE)", sqlml.OperationalError,
          "cannot write", "No space left")
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_import_refuses_a_fixed_batch_size(data, tmp_path):
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.DOUBLE, [1, 1])],
                              [helper.make_tensor_value_info("y", TensorProto.DOUBLE, [1, 1])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, tmp_path / "one.onnx")
    fails(data, f"CREATE MODEL one OPTIONS(model_type='onnx', model_path='{tmp_path}/one.onnx')",
          sqlml.NotSupportedError, "input 'x'", "fixed batch size")

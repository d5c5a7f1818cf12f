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
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

import sqlml
from tests.engine.reference import fails
from tests.export.onnx_helpers import rows_of, run_onnx

TRAIN = (
    "CREATE OR REPLACE TABLE edge AS SELECT (i % 10)::DOUBLE + 0.2 AS x, (i % 7)::DECIMAL(6, 2) / 4 AS d, "
    "(i % 3 = 0) AS b, ['a', 'b', NULL][i % 3 + 1] AS s, ((i % 10) * 3 + (i % 3))::DOUBLE AS y FROM range(300) t(i)"
)
PROBES = (
    "SELECT x::DOUBLE AS x, d::DECIMAL(6, 2) AS d, b, s FROM (VALUES (0.5, 0.25, true, 'a'), "
    "(2.5, 0.35, false, 'b'), (4.5, 1.75, NULL, NULL), (-1.5, 0.05, true, 'a'), (NULL, NULL, false, 'b')) "
    "v(x, d, b, s)"
)  # typed as the training columns


@pytest.mark.parametrize(
    "item",
    [
        "CAST(x AS INT) AS f",  # DuckDB rounds a DOUBLE half to even
        "CAST(d AS INT) AS f",  # and a DECIMAL half away from zero
        "CAST(x / 3 AS DECIMAL(6, 1)) AS f",  # rounded to the scale
        "CAST(x * 0.37 AS DECIMAL(8, 2)) AS f",
        "CASE WHEN x > 1 THEN x ELSE CAST(NULL AS DOUBLE) END AS f",
        "CASE WHEN b THEN 1 ELSE 0 END AS f",  # a BOOLEAN column as the condition, NULL included
        "CASE WHEN NOT b OR s = 'a' THEN 2 ELSE 3 END AS f",
        "LOG10(x + 10) AS f",
        "LOG(x + 10) AS f",
        "LOG(2, x + 10) AS f",
        "ROUND(x) AS f",
        "COALESCE(d, x, 0) AS f",
        "LEAST(x, d * 4) AS f",
        "ML.NORMALIZER([x, d, 1]) AS f",
        "LIST_SUM([x, d]) + NULLIF(x, 2.5) AS f",  # NULL elements and all-NULL
    ],
)
def test_transform_expression_on_the_device(data, tmp_path, item):
    cur = data.cursor()
    cur.execute(TRAIN)
    cur.execute(
        f"CREATE OR REPLACE MODEL e TRANSFORM({item}, y) OPTIONS(model_type='linear_reg', "
        "input_label_cols=['y']) AS SELECT * FROM edge"
    )
    cur.execute(f"EXPORT MODEL e OPTIONS(uri='{tmp_path}/e.onnx')")
    expected = [r["predicted_y"] for r in rows_of(data, f"SELECT * FROM ML.PREDICT(MODEL e, ({PROBES}))")]
    np.testing.assert_allclose(
        run_onnx(tmp_path / "e.onnx", rows_of(data, PROBES))["predicted_y"], expected, rtol=1e-9, atol=1e-9
    )


@pytest.mark.parametrize(
    "item, shown",
    [
        ("CASE WHEN s > 'a' THEN 1 ELSE 0 END AS f", "strings compare only with = and <>"),
        ("CAST(FLOOR(x) AS VARCHAR) AS f", "only strings, integers and booleans become text"),
    ],
)
def test_transform_expression_refused_by_name(data, tmp_path, item, shown):
    cur = data.cursor()
    cur.execute(TRAIN)
    cur.execute(
        f"CREATE OR REPLACE MODEL e TRANSFORM({item}, y) OPTIONS(model_type='linear_reg', "
        "input_label_cols=['y']) AS SELECT * FROM edge"
    )
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
    expected = [
        [e["prob"] for e in r["predicted_y_probs"]] for r in rows_of(data, "FROM ML.PREDICT(MODEL big, TABLE big)")
    ]
    np.testing.assert_allclose(got, expected, atol=1e-3)


@pytest.mark.parametrize("model_type", ["linear_reg", "boosted_tree_regressor"])
def test_times_in_duckdbs_text_and_an_all_null_column(data, tmp_path, model_type):
    """A device reading DuckDB's CSV sends '11:00:00', not pyarrow's '11:00:00.000000'; a VARCHAR column
    that was NULL in every training row is unseen in every row."""
    cur = data.cursor()
    cur.execute(
        "CREATE OR REPLACE TABLE clock AS SELECT TIME '10:00:00' + INTERVAL (i % 3) HOUR + "
        "INTERVAL (500 * (i % 2)) MILLISECOND AS tm, NULL::VARCHAR AS note, (i % 3) * 5.0 + (i % 2) AS y "
        "FROM range(200) t(i)"
    )
    cur.execute(
        f"CREATE OR REPLACE MODEL clock OPTIONS(model_type='{model_type}', input_label_cols=['y']) AS FROM clock"
    )
    cur.execute(f"EXPORT MODEL clock OPTIONS(uri='{tmp_path}/c.onnx')")
    cur.execute(f"COPY (SELECT tm, 'x' AS note FROM clock LIMIT 6) TO '{tmp_path}/c.csv' (HEADER)")
    run = subprocess.run(
        [sys.executable, "-m", "sqlml.export.runner", str(tmp_path / "c.onnx"), str(tmp_path / "c.csv")],
        capture_output=True,
        text=True,
        check=True,
    )
    got = [float(r["predicted_y"]) for r in csv.DictReader(io.StringIO(run.stdout))]
    expected = [
        r[0]
        for r in cur.execute(
            "SELECT predicted_y FROM ML.PREDICT(MODEL clock, (SELECT tm, 'x' AS note FROM clock LIMIT 6))"
        ).fetchall()
    ]
    np.testing.assert_allclose(got, expected, rtol=1e-9)
    assert len(set(got)) > 1


def test_unsigned_64_bit_integers_go_in_as_double(data, tmp_path):
    cur = data.cursor()
    cur.execute(
        "CREATE OR REPLACE TABLE huge AS SELECT (10000000000000000000 + i * 1000000000000000)::UBIGINT AS u, "
        "i::DOUBLE AS y FROM range(100) t(i)"
    )
    cur.execute("CREATE OR REPLACE MODEL huge OPTIONS(model_type='linear_reg', input_label_cols=['y']) AS FROM huge")
    cur.execute(f"EXPORT MODEL huge OPTIONS(uri='{tmp_path}/u.onnx')")
    assert [i.type.tensor_type.elem_type for i in onnx.load(tmp_path / "u.onnx").graph.input] == [TensorProto.DOUBLE]


def test_column_names_that_collide_with_the_graph(data, tmp_path):
    cur = data.cursor()
    cur.execute(
        'CREATE OR REPLACE TABLE named AS SELECT i::DOUBLE AS "sqlml:x_1", i % 5 AS "CENTROID_ID" FROM range(50) t(i)'
    )
    cur.execute(
        "CREATE OR REPLACE MODEL named OPTIONS(model_type='kmeans', num_clusters=2) AS SELECT \"CENTROID_ID\" FROM named"
    )
    fails(
        data,
        f"EXPORT MODEL named OPTIONS(uri='{tmp_path}/n.onnx')",
        sqlml.ProgrammingError,
        "'CENTROID_ID'",
        "name of an output",
    )
    cur.execute(
        "CREATE OR REPLACE MODEL named OPTIONS(model_type='kmeans', num_clusters=2) AS SELECT \"sqlml:x_1\" FROM named"
    )
    fails(data, f"EXPORT MODEL named OPTIONS(uri='{tmp_path}/n.onnx')", sqlml.ProgrammingError, "'sqlml:x_1'", "rename")
    assert list(tmp_path.iterdir()) == []


def test_a_sidecar_path_that_is_a_directory(data, tmp_path):
    cur = data.cursor()
    cur.execute(TRAIN)
    cur.execute("CREATE OR REPLACE MODEL w OPTIONS(model_type='linear_reg', input_label_cols=['y']) AS FROM edge")
    (tmp_path / "w.json").mkdir()
    fails(
        data,
        f"EXPORT MODEL w OPTIONS(uri='{tmp_path}/w.onnx', overwrite=TRUE)",
        sqlml.ProgrammingError,
        "w.json",
        "is a directory",
    )
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

    cur.execute(
        "CREATE OR REPLACE MODEL w OPTIONS(model_type='linear_reg', input_label_cols=['y'], l2_reg=5) AS FROM edge"
    )
    monkeypatch.setattr(exporter.os, "replace", failing)
    fails(
        data,
        f"EXPORT MODEL w OPTIONS(uri='{tmp_path}/w.onnx', overwrite=TRUE)",
        sqlml.OperationalError,
        "cannot write",
        "No space left",
    )
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_import_refuses_a_fixed_batch_size(data, tmp_path):
    graph = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y"])],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.DOUBLE, [1, 1])],
        [helper.make_tensor_value_info("y", TensorProto.DOUBLE, [1, 1])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, tmp_path / "one.onnx")
    fails(
        data,
        f"CREATE MODEL one OPTIONS(model_type='onnx', model_path='{tmp_path}/one.onnx')",
        sqlml.NotSupportedError,
        "input 'x'",
        "fixed batch size",
    )


def test_timestamp_parts_match_arrows_calendar():
    """The graph's calendar arithmetic against pyarrow's own day, weekday, month, hour, minute, ISO week and
    year, over 1900-2100 at random microseconds plus every day around each new year (ISO week edges)."""
    import datetime

    import pyarrow as pa
    import pyarrow.compute as pc

    from sqlml.export.features import INT64_NULL, timestamp_parts
    from sqlml.export.graph import Graph

    rng = np.random.default_rng(7)
    low, high = -2_208_988_800_000_000, 4_102_444_800_000_000  # 1900-01-01, 2100-01-01
    edges = [
        int((datetime.datetime(y, 12, 25) - datetime.datetime(1970, 1, 1)).total_seconds() * 1e6) + d * 86_400_000_000
        for y in range(1899, 2100)
        for d in range(12)
    ]
    micros = np.concatenate([rng.integers(low, high, 20_000), edges, [-1, 0, 1, -86_400_000_001]]).astype(np.int64)
    names = ["dom", "dow", "moy", "hod", "moh", "woy", "year"]
    spec = {"name": "t", "parts": [{"name": "t"}] + [{"name": f"t_ts_{p}", "part": p} for p in names]}
    g = Graph()
    parts = timestamp_parts(g, g.input("t", TensorProto.INT64, [None, 1]), spec)
    for name, (value, elem_type) in parts.items():
        g.output(value, f"out_{name}", elem_type, [None, 1])
    session = ort.InferenceSession(g.model("parts", {}).SerializeToString(), providers=["CPUExecutionProvider"])
    got = dict(
        zip(
            [o.name for o in session.get_outputs()],
            session.run(None, {"t": np.append(micros, INT64_NULL).reshape(-1, 1)}),
        )
    )
    column = pa.array(micros, pa.timestamp("us"))
    expected = {
        "dom": pc.day,
        "dow": pc.day_of_week,
        "moy": pc.month,
        "hod": pc.hour,
        "moh": pc.minute,
        "woy": pc.iso_week,
        "year": pc.year,
    }
    for part, function in expected.items():
        assert got[f"out_t_ts_{part}"][:-1, 0].tolist() == [str(v) for v in function(column).to_pylist()], part
        assert got[f"out_t_ts_{part}"][-1, 0] == ""
    epoch = pc.divide(pc.cast(column, pa.int64()), 1_000_000).to_numpy().astype(float)
    np.testing.assert_array_equal(got["out_t"][:-1, 0], epoch)
    assert np.isnan(got["out_t"][-1, 0])


@pytest.mark.parametrize("model_type", ["linear_reg", "boosted_tree_regressor"])
def test_timestamp_features_on_the_device(data, tmp_path, model_type):
    """TIMESTAMP and TIMESTAMPTZ columns go in as int64 microseconds (UTC), NULL included."""
    cur = data.cursor()
    cur.execute(
        "CREATE OR REPLACE TABLE times AS SELECT TIMESTAMP '1965-12-28 22:10:00' + INTERVAL (i * 29) HOUR AS t, "
        "TIMESTAMPTZ '2020-12-27 23:30:00+05' + INTERVAL (i * 13) HOUR AS tz, "
        "(i % 7)::DOUBLE + (i * 29 / 24 % 7) AS y FROM range(2000) r(i)"
    )
    cur.execute("INSERT INTO times VALUES (NULL, NULL, 3.0)")
    cur.execute(
        f"CREATE OR REPLACE MODEL times OPTIONS(model_type='{model_type}', input_label_cols=['y']) AS FROM times"
    )
    cur.execute(f"EXPORT MODEL times OPTIONS(uri='{tmp_path}/t.onnx')")
    cur.execute("SELECT epoch_us(t), epoch_us(tz) FROM times")
    micros = np.array([[-(2**63) if v is None else v for v in row] for row in cur.fetchall()], dtype=np.int64)
    session = ort.InferenceSession(str(tmp_path / "t.onnx"), providers=["CPUExecutionProvider"])
    got = session.run(["predicted_y"], {"t": micros[:, :1], "tz": micros[:, 1:]})[0]
    expected = [r[0] for r in cur.execute("SELECT predicted_y FROM ML.PREDICT(MODEL times, TABLE times)").fetchall()]
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9)

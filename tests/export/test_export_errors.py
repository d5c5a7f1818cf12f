"""EXPORT MODEL's bad inputs: each a sqlml error naming the option or part at fault, the catalog and data
unchanged and no file written or replaced."""

from __future__ import annotations

import pytest

import sqlml
from tests.engine.reference import fails

CREATE = (
    "CREATE OR REPLACE MODEL m OPTIONS(model_type='logistic_reg', input_label_cols=['species']) "
    "AS SELECT * EXCLUDE (year) FROM penguins"
)

BAD = [  # (options, error, fragments); {dir} is an empty temporary directory
    ("uri='{dir}/missing/m.onnx'", sqlml.ProgrammingError, ["uri", "missing", "does not exist"]),
    ("uri='{dir}/m.onnx', quantize='int4'", sqlml.ProgrammingError, ["quantize", "NONE, INT8, FLOAT16, AUTO", "int4"]),
    ("uri='{dir}/m.onnx', version=7", sqlml.ProgrammingError, ["main.m", "no version 7"]),
    ("uri='{dir}/m.onnx', version=0", sqlml.ProgrammingError, ["version", ">= 1"]),
    ("uri='{dir}/m.txt'", sqlml.ProgrammingError, ["uri", ".onnx"]),
    ("uri='{dir}'", sqlml.ProgrammingError, ["uri", ".onnx"]),
    ("quantize='int8'", sqlml.ProgrammingError, ["uri="]),
    ("uri='{dir}/m.onnx', compress=TRUE", sqlml.ProgrammingError, ["compress", "quantize"]),
    ("uri='{dir}/m.onnx', overwrite='yes'", sqlml.ProgrammingError, ["overwrite", "TRUE or FALSE"]),
    ("uri='{dir}/m.onnx', target_opset=13", sqlml.ProgrammingError, ["target_opset", ">= 21"]),
    ("uri='{dir}/m.onnx', max_metric_drop=-1", sqlml.ProgrammingError, ["max_metric_drop", ">= 0"]),
]


@pytest.mark.parametrize("options, error, fragments", BAD, ids=range(len(BAD)))
def test_bad_export_options(data, tmp_path, options, error, fragments):
    data.cursor().execute(CREATE)
    fails(data, f"EXPORT MODEL m OPTIONS({options.format(dir=tmp_path)})", error, *fragments)
    assert list(tmp_path.iterdir()) == []


def test_existing_file_is_kept_without_overwrite(data, tmp_path):
    data.cursor().execute(CREATE)
    (tmp_path / "m.onnx").write_bytes(b"precious")
    fails(
        data,
        f"EXPORT MODEL m OPTIONS(uri='{tmp_path}/m.onnx')",
        sqlml.ProgrammingError,
        "m.onnx",
        "already exist",
        "overwrite=TRUE",
    )
    assert (tmp_path / "m.onnx").read_bytes() == b"precious" and sorted(p.name for p in tmp_path.iterdir()) == [
        "m.onnx"
    ]
    data.cursor().execute(f"EXPORT MODEL m OPTIONS(uri='{tmp_path}/m.onnx', overwrite=TRUE)")
    assert (tmp_path / "m.onnx").read_bytes()[:8] != b"precious"


def test_a_sidecar_in_the_way_counts_too(data, tmp_path):
    data.cursor().execute(CREATE)
    (tmp_path / "m.md").write_text("my notes")
    fails(data, f"EXPORT MODEL m OPTIONS(uri='{tmp_path}/m.onnx')", sqlml.ProgrammingError, "m.md", "overwrite=TRUE")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.md"]


def test_a_directory_that_refuses_files(data):
    """/proc takes no new files, not even from root (whom permission bits would not stop)."""
    data.cursor().execute(CREATE)
    fails(data, "EXPORT MODEL m OPTIONS(uri='/proc/sqlml_m.onnx')", sqlml.OperationalError, "cannot write", "/proc")


def test_unknown_model(data, tmp_path):
    fails(
        data,
        f"EXPORT MODEL nowhere OPTIONS(uri='{tmp_path}/m.onnx')",
        sqlml.ProgrammingError,
        "nowhere",
        "does not exist",
    )


def test_quantizing_trees_is_refused(data, tmp_path):
    data.cursor().execute(
        "CREATE OR REPLACE MODEL t OPTIONS(model_type='random_forest_classifier', "
        "input_label_cols=['species'], num_parallel_tree=5) AS SELECT * EXCLUDE (year) FROM penguins"
    )
    fails(
        data,
        f"EXPORT MODEL t OPTIONS(uri='{tmp_path}/t.onnx', quantize='int8')",
        sqlml.NotSupportedError,
        "quantize='int8'",
        "random_forest_classifier",
        "quantize='none'",
    )
    assert list(tmp_path.iterdir()) == []


def test_an_empty_string_category_cannot_be_exported(data, tmp_path):
    """ "" is an exported model's NULL for strings, so a model that learned "" as a category is refused."""
    cur = data.cursor()
    cur.execute(
        "CREATE OR REPLACE TABLE blanks AS SELECT ['', 'a', 'b'][range % 3 + 1] AS s, range::DOUBLE AS y FROM range(60)"
    )
    cur.execute("CREATE OR REPLACE MODEL b OPTIONS(model_type='linear_reg', input_label_cols=['y']) AS FROM blanks")
    fails(data, f"EXPORT MODEL b OPTIONS(uri='{tmp_path}/b.onnx')", sqlml.NotSupportedError, "'s'", "empty string")


@pytest.mark.parametrize(
    "item, shown",
    [
        ("ML.HASH_BUCKETIZE(island, 10) AS hb", "'hb'"),
        ("EXTRACT(year FROM make_date(year, 1, 1)) AS y", "'y'"),
        ("ML.TF_IDF(string_split(lower(island), ' ')) OVER () AS words", "'words'"),
        ("ML.BAG_OF_WORDS(list_value(island, sex)) OVER () AS words", "'words'"),
    ],
)
def test_a_transform_without_an_onnx_form_is_named(data, tmp_path, item, shown):
    data.cursor().execute(
        f"CREATE OR REPLACE MODEL shaped TRANSFORM({item}, bill_length_mm, species) "
        "OPTIONS(model_type='logistic_reg', input_label_cols=['species']) AS SELECT * FROM penguins"
    )
    fails(
        data,
        f"EXPORT MODEL shaped OPTIONS(uri='{tmp_path}/t.onnx')",
        sqlml.NotSupportedError,
        "TRANSFORM output",
        shown,
        "no ONNX form",
    )
    assert list(tmp_path.iterdir()) == []


def test_forecasting_models_are_refused_with_the_way_out(data, tmp_path):
    """ARIMA_PLUS keeps per-series state ONNX has no form for (BigQuery ML exports none either); the refusal
    names the COPY of ML.FORECAST that writes the forecast out, and that COPY works."""
    cur = data.cursor()
    cur.execute("CREATE TABLE sales AS SELECT DATE '2024-01-01' + i::INT AS day, 10 + i % 7 AS n FROM range(60) r(i)")
    cur.execute(
        "CREATE MODEL f OPTIONS(model_type='ARIMA_PLUS', time_series_timestamp_col='day', time_series_data_col='n', "
        "horizon=10) AS SELECT day, n FROM sales"
    )
    fails(
        data,
        f"EXPORT MODEL f OPTIONS(uri='{tmp_path}/f.onnx')",
        sqlml.NotSupportedError,
        "main.f",
        "forecasting",
        "COPY",
    )
    assert list(tmp_path.iterdir()) == []
    cur.execute(f"COPY (SELECT * FROM ML.FORECAST(MODEL f, STRUCT(10 AS horizon))) TO '{tmp_path}/f.parquet'")
    assert cur.execute(f"SELECT count(*) FROM '{tmp_path}/f.parquet'").fetchone() == (10,)

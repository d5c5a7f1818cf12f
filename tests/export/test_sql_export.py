"""EXPORT MODEL ... OPTIONS(format='sql'): ML.PREDICT as one SQL query (issue 20, item 7). The written DuckDB
query is run by DuckDB itself (duckdb.connect, no sqlml) and compared with sqlml's ML.PREDICT; every
dialect's rendering parses back with sqlglot; bad options write nothing. ML.PREDICT's output columns:
https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-predict"""

from __future__ import annotations

import duckdb
import numpy as np
import pytest
import sqlglot

import sqlml
from tests.engine.reference import fails
from tests.export.onnx_helpers import ROOT

PENGUINS = f"read_csv('{ROOT}/sql_examples/data/penguins.csv', nullstr='NA')"

MODELS = {  # name -> CREATE MODEL
    "logistic_binary": "CREATE OR REPLACE MODEL m OPTIONS(model_type='logistic_reg', input_label_cols=['sex']) "
    "AS SELECT sex, species, island, bill_length_mm, flipper_length_mm FROM penguins WHERE sex IS NOT NULL",
    "logistic_multiclass": "CREATE OR REPLACE MODEL m OPTIONS(model_type='logistic_reg', "
    "input_label_cols=['species']) AS SELECT species, island, bill_length_mm, body_mass_g, sex FROM penguins",
    "linear_reg": "CREATE OR REPLACE MODEL m OPTIONS(model_type='linear_reg', input_label_cols=['body_mass_g']) "
    "AS SELECT island, bill_length_mm, flipper_length_mm, body_mass_g, sex FROM penguins",
    "linear_reg_transform": "CREATE OR REPLACE MODEL m TRANSFORM(ML.STANDARD_SCALER(bill_length_mm) OVER () AS "
    "bill, island, body_mass_g) OPTIONS(model_type='linear_reg', input_label_cols=['body_mass_g']) "
    "AS SELECT island, bill_length_mm, body_mass_g FROM penguins",
    "kmeans": "CREATE OR REPLACE MODEL m OPTIONS(model_type='kmeans', num_clusters=4) "
    "AS SELECT island, bill_length_mm, body_mass_g FROM penguins",
    "kmeans_cosine": "CREATE OR REPLACE MODEL m OPTIONS(model_type='kmeans', num_clusters=3, "
    "distance_type='COSINE') AS SELECT bill_length_mm, flipper_length_mm, body_mass_g FROM penguins",
    "pca": "CREATE OR REPLACE MODEL m OPTIONS(model_type='pca', num_principal_components=2) "
    "AS SELECT bill_length_mm, flipper_length_mm, body_mass_g, island FROM penguins",
}
DIALECTS = ["postgres", "snowflake", "bigquery", "spark", "databricks", "trino", "tsql", "duckdb"]


def _export(con, path, options: str = "") -> tuple:
    cur = con.cursor()
    cur.execute(f"EXPORT MODEL m OPTIONS(uri='{path}', format='sql'{options})")
    return dict(zip([d[0] for d in cur.description], cur.fetchone()))


def _run_directly(path) -> tuple[list[str], list[tuple]]:
    """The written query run by DuckDB alone over a table `input` holding the penguins."""
    con = duckdb.connect()
    con.execute(f"CREATE TABLE input AS FROM {PENGUINS}")
    cur = con.execute(path.read_text())
    return [d[0] for d in cur.description], cur.fetchall()


def _close(a, b) -> bool:
    """Values (numbers, or lists of structs of them) equal to 1e-6 relative."""
    if isinstance(a, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and abs(a - b) <= 1e-6 * max(1.0, abs(b))
    return a == b


@pytest.mark.parametrize("name", MODELS)
def test_duckdb_rendering_equals_ml_predict(data, tmp_path, name):
    data.cursor().execute(MODELS[name])
    row = _export(data, tmp_path / "m.sql")
    assert row["format"] == "sql" and row["dialect"] == "duckdb" and row["label_agreement"] >= 0.999
    columns, exported = _run_directly(tmp_path / "m.sql")
    cur = data.cursor()
    cur.execute("SELECT * FROM ML.PREDICT(MODEL m, TABLE penguins)")
    expected_columns = [d[0] for d in cur.description]
    expected = [dict(zip(expected_columns, r)) for r in cur.fetchall()]
    predictions = [c for c in columns if c.startswith(("predicted_", "CENTROID_ID", "NEAREST_", "principal_"))]
    assert predictions == [c for c in expected_columns if c in predictions] and predictions
    assert set(columns) <= set(expected_columns)
    assert len(exported) == len(expected)
    got = [dict(zip(columns, r)) for r in exported]
    labels = [c for c in predictions if c == "CENTROID_ID" or (c.startswith("predicted_") and "_probs" not in c)]
    for column in columns:
        agree = [_close(g[column], e[column]) for g, e in zip(got, expected)]
        assert np.mean(agree) >= (0.999 if column in labels else 1.0), column


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_dialect_parses_back(data, tmp_path, dialect):
    data.cursor().execute(MODELS["logistic_multiclass"])
    row = _export(data, tmp_path / "m.sql", f", dialect='{dialect.upper()}', input='analytics.penguins'")
    assert row["dialect"] == dialect
    tree = sqlglot.parse_one(tmp_path.joinpath("m.sql").read_text().rstrip().rstrip(";"), read=dialect)
    tables = [(t.db, t.name) for t in tree.find_all(sqlglot.exp.Table)]
    assert tables == [("analytics", "penguins")]
    assert [s.alias_or_name for s in tree.selects][:2] == ["predicted_species", "predicted_species_probs"]


BAD = [  # (model, options, error, fragments)
    ("linear_reg", ", dialect='nosuch'", sqlml.ProgrammingError, ["'nosuch'", "snowflake", "postgres"]),
    ("linear_reg", ", input='t(1)'", sqlml.ProgrammingError, ["input", "'t(1)'"]),
    ("linear_reg", ", quantize='int8'", sqlml.ProgrammingError, ["quantize", "format='sql'"]),
    ("boosted", "", sqlml.NotSupportedError, ["boosted_tree_classifier", "format='onnx'"]),
]


@pytest.mark.parametrize("model, options, error, fragments", BAD, ids=range(len(BAD)))
def test_bad_options_write_nothing(data, tmp_path, model, options, error, fragments):
    create = (
        "CREATE OR REPLACE MODEL m OPTIONS(model_type='boosted_tree_classifier', input_label_cols=['species'], "
        "max_iterations=3) AS SELECT species, bill_length_mm, body_mass_g FROM penguins"
        if model == "boosted"
        else MODELS[model]
    )
    data.cursor().execute(create)
    fails(data, f"EXPORT MODEL m OPTIONS(uri='{tmp_path}/m.sql', format='sql'{options})", error, *fragments)
    assert list(tmp_path.iterdir()) == []


def test_onnx_options_keep_their_format(data, tmp_path):
    data.cursor().execute(MODELS["linear_reg"])
    fails(
        data, f"EXPORT MODEL m OPTIONS(uri='{tmp_path}/m.onnx', dialect='snowflake')", sqlml.ProgrammingError, "dialect"
    )
    fails(data, f"EXPORT MODEL m OPTIONS(uri='{tmp_path}/m.onnx', format='sql')", sqlml.ProgrammingError, ".sql")
    assert list(tmp_path.iterdir()) == []


def test_a_query_that_disagrees_is_not_written(data, tmp_path, monkeypatch):
    import sqlml.export.sql

    data.cursor().execute(MODELS["linear_reg"])
    monkeypatch.setattr(sqlml.export.sql, "MAX_RELATIVE_DIFF", -1.0)  # no difference passes
    fails(data, f"EXPORT MODEL m OPTIONS(uri='{tmp_path}/m.sql', format='sql')", sqlml.DataError, "nothing was written")
    assert list(tmp_path.iterdir()) == []

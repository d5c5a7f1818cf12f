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
import sqlml.export.sql
import sqlml.export.sql_network
from sqlml.engine.families import FAMILIES
from sqlml.engine.training import automl
from tests.engine.reference import fails
from tests.export.network_reference import ACTIVATIONS, reference
from tests.export.onnx_helpers import ROOT
from tests.export.postgres import postgres_server

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
    "boosted_multiclass": "CREATE OR REPLACE MODEL m OPTIONS(model_type='boosted_tree_classifier', "
    "input_label_cols=['species'], max_iterations=8) AS SELECT species, island, bill_length_mm, body_mass_g, sex "
    "FROM penguins",
    "boosted_binary": "CREATE OR REPLACE MODEL m OPTIONS(model_type='boosted_tree_classifier', "
    "input_label_cols=['sex'], max_iterations=8) AS SELECT sex, species, bill_length_mm, flipper_length_mm "
    "FROM penguins WHERE sex IS NOT NULL",
    "forest_multiclass": "CREATE OR REPLACE MODEL m OPTIONS(model_type='random_forest_classifier', "
    "input_label_cols=['species'], num_parallel_tree=4) AS SELECT species, island, bill_length_mm, sex FROM penguins",
    "forest_binary": "CREATE OR REPLACE MODEL m OPTIONS(model_type='random_forest_classifier', "
    "input_label_cols=['sex'], num_parallel_tree=4) AS SELECT sex, species, bill_length_mm, flipper_length_mm "
    "FROM penguins WHERE sex IS NOT NULL",
    "forest_regressor": "CREATE OR REPLACE MODEL m OPTIONS(model_type='random_forest_regressor', "
    "input_label_cols=['body_mass_g'], num_parallel_tree=4) AS SELECT island, bill_length_mm, body_mass_g "
    "FROM penguins",
    "boosted_regressor": "CREATE OR REPLACE MODEL m OPTIONS(model_type='boosted_tree_regressor', "
    "input_label_cols=['body_mass_g'], max_iterations=8) AS SELECT island, bill_length_mm, body_mass_g, sex "
    "FROM penguins",
}
NETWORKS = {  # the network families (dnn_*, dnn_linear_combined_*, autoencoder, automl_* won by a dnn)
    "dnn_regressor_transform": "CREATE OR REPLACE MODEL m TRANSFORM(ML.STANDARD_SCALER(bill_length_mm) OVER () AS "
    "bill, island, sex, body_mass_g) OPTIONS(model_type='dnn_regressor', input_label_cols=['body_mass_g'], "
    "hidden_units=[8, 4], activation_fn='TANH', max_iterations=5, data_split_method='NO_SPLIT') "
    "AS SELECT island, bill_length_mm, body_mass_g, sex FROM penguins",
    "dnn_binary": "CREATE OR REPLACE MODEL m OPTIONS(model_type='dnn_classifier', input_label_cols=['sex'], "
    "hidden_units=[6], activation_fn='RELU6', max_iterations=5, data_split_method='NO_SPLIT') "
    "AS SELECT sex, species, island, bill_length_mm, flipper_length_mm FROM penguins WHERE sex IS NOT NULL",
    "dnn_multiclass": "CREATE OR REPLACE MODEL m OPTIONS(model_type='dnn_classifier', input_label_cols=['species'], "
    "hidden_units=[5, 3], activation_fn='CRELU', max_iterations=5, data_split_method='NO_SPLIT') "
    "AS SELECT species, island, bill_length_mm, body_mass_g, sex FROM penguins",
    "wide_deep_multiclass": "CREATE OR REPLACE MODEL m OPTIONS(model_type='dnn_linear_combined_classifier', "
    "input_label_cols=['species'], hidden_units=[4], activation_fn='ELU', max_iterations=5, "
    "data_split_method='NO_SPLIT') AS SELECT species, island, sex, bill_length_mm FROM penguins",
    "wide_deep_regressor": "CREATE OR REPLACE MODEL m OPTIONS(model_type='dnn_linear_combined_regressor', "
    "input_label_cols=['body_mass_g'], hidden_units=[3], activation_fn='SIGMOID', max_iterations=5, "
    "data_split_method='NO_SPLIT') AS SELECT island, sex, species, flipper_length_mm, body_mass_g FROM penguins",
    "autoencoder": "CREATE OR REPLACE MODEL m OPTIONS(model_type='autoencoder', hidden_units=[4, 2, 4], "
    "activation_fn='SELU', max_iterations=5) AS SELECT island, bill_length_mm, body_mass_g, sex FROM penguins",
    "automl_dnn": "CREATE OR REPLACE MODEL m OPTIONS(model_type='automl_classifier', input_label_cols=['species'], "
    "budget_hours=1e-6, data_split_method='NO_SPLIT') AS SELECT species, island, bill_length_mm, sex FROM penguins",
}
MODELS |= NETWORKS
PREDICTED = ("predicted_", "centroid_id", "nearest_", "principal_", "latent_col")  # ML.PREDICT's columns
DIALECTS = ["postgres", "snowflake", "bigquery", "spark", "databricks", "trino", "tsql", "duckdb"]


def _create(con, name: str, monkeypatch) -> str:
    """The model named `name`, made as MODELS[name] says once per module (the tests only read and export it); an
    automl model searches dnn_classifier only (its first candidate wins)."""
    cur = con.cursor()
    try:
        cur.execute(f"SELECT count(*) FROM sqlml.model_versions WHERE model_name = '{name}'")
        made = cur.fetchone() != (0,)
    except sqlml.ProgrammingError:  # no catalog: no model made yet
        made = False
    if not made:
        if name.startswith("automl"):
            monkeypatch.setattr(automl, "candidates", lambda task: [FAMILIES["dnn_classifier"]])
        cur.execute(MODELS[name].replace("MODEL m ", f"MODEL {name} ", 1))
    return name


def _export(con, path, options: str = "", model: str = "m") -> tuple:
    cur = con.cursor()
    cur.execute(f"EXPORT MODEL {model} OPTIONS(uri='{path}', format='sql'{options})")
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
def test_duckdb_rendering_equals_ml_predict(data, tmp_path, monkeypatch, name):
    model = _create(data, name, monkeypatch)
    row = _export(data, tmp_path / "m.sql", model=model)
    assert row["format"] == "sql" and row["dialect"] == "duckdb" and row["label_agreement"] >= 0.999
    columns, exported = _run_directly(tmp_path / "m.sql")
    cur = data.cursor()
    cur.execute(f"SELECT * FROM ML.PREDICT(MODEL {model}, TABLE penguins)")
    expected_columns = [d[0] for d in cur.description]
    expected = [dict(zip(expected_columns, r)) for r in cur.fetchall()]
    predictions = [c for c in columns if c.lower().startswith(PREDICTED)]
    assert predictions == [c for c in expected_columns if c in predictions] and predictions
    assert set(columns) <= set(expected_columns)
    assert len(exported) == len(expected)
    got = [dict(zip(columns, r)) for r in exported]
    labels = [c for c in predictions if c == "CENTROID_ID" or (c.startswith("predicted_") and "_probs" not in c)]
    for column in columns:
        agree = [_close(g[column], e[column]) for g, e in zip(got, expected)]
        assert np.mean(agree) >= (0.999 if column in labels else 1.0), column


@pytest.fixture(scope="module")
def postgres():
    with postgres_server() as con:
        con.execute("SET statement_timeout = '120s'")  # a hang guard: a runaway plan fails instead of hanging
        con.execute(
            "CREATE TABLE input (species TEXT, island TEXT, bill_length_mm DOUBLE PRECISION, bill_depth_mm DOUBLE "
            "PRECISION, flipper_length_mm BIGINT, body_mass_g BIGINT, sex TEXT, year BIGINT)"
        )
        rows = duckdb.connect().execute(f"FROM {PENGUINS}").fetchall()
        con.cursor().executemany("INSERT INTO input VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", rows)
        yield con


@pytest.mark.parametrize("name", MODELS)
def test_postgres_rendering_runs_in_postgresql_and_equals_ml_predict(data, postgres, tmp_path, monkeypatch, name):
    model = _create(data, name, monkeypatch)
    _export(data, tmp_path / "m.sql", ", dialect='postgres'", model)
    assert _postgres_agreement(data, postgres, tmp_path / "m.sql", "penguins", 344, model) >= 0.999, name


def _postgres_agreement(data, postgres, path, table: str, rows: int, model: str = "m") -> float:
    """The share of rows where the query at `path` run in PostgreSQL equals ML.PREDICT of `model` over `table`
    (the same rows in sqlml)."""
    cur = postgres.execute(path.read_text())
    columns = [d.name for d in cur.description]
    got = cur.fetchall()
    cur = data.cursor()
    cur.execute(f"SELECT * FROM ML.PREDICT(MODEL {model}, TABLE {table})")
    names = [d[0] for d in cur.description]
    assert set(columns) <= set(names)  # ML.PREDICT's names, case included (quoted for PostgreSQL)
    expected = [tuple(row[names.index(c)] for c in columns) for row in cur.fetchall()]
    inputs = [i for i, c in enumerate(columns) if not c.lower().startswith(PREDICTED)]
    key = lambda row: repr([row[i] for i in inputs])  # noqa: E731 (PostgreSQL returns the rows in its own order)
    got, expected = sorted(got, key=key), sorted(expected, key=key)
    assert len(got) == len(expected) == rows
    return float(np.mean([all(_close(g, e) for g, e in zip(a, b)) for a, b in zip(got, expected)]))


@pytest.mark.parametrize("name", ["dnn_relu_binary", "dnn_multiclass", "logistic_binary"])
def test_extreme_scores_neither_overflow_nor_underflow_in_postgresql(data, postgres, tmp_path, monkeypatch, name):
    """Inputs a million times the penguins' give scores of magnitude ~1e6: the sigmoid and the softmax take exp
    of non-positive values only, floored where PostgreSQL would raise an underflow error, and still equal
    ML.PREDICT."""
    create = MODELS.get(name) or (
        "CREATE OR REPLACE MODEL m OPTIONS(model_type='dnn_classifier', input_label_cols=['sex'], hidden_units=[4], "
        "max_iterations=5) AS SELECT sex, species, bill_length_mm FROM penguins WHERE sex IS NOT NULL"
    )
    data.cursor().execute(create)
    cur = data.cursor()
    cur.execute(
        "CREATE OR REPLACE TABLE extreme AS SELECT penguins.* REPLACE (bill_length_mm * f AS bill_length_mm) "
        "FROM penguins, (VALUES (1e6::DOUBLE), (-1e6::DOUBLE)) AS v(f)"
    )
    cur.execute("SELECT * FROM extreme")
    postgres.execute("DROP TABLE IF EXISTS extreme; CREATE TABLE extreme (LIKE input)")
    postgres.cursor().executemany("INSERT INTO extreme VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", cur.fetchall())
    _export(data, tmp_path / "m.sql", ", dialect='postgres', input='extreme'")
    assert _postgres_agreement(data, postgres, tmp_path / "m.sql", "extreme", 688) >= 0.999, name


@pytest.mark.parametrize("name", NETWORKS)
def test_network_rendering_equals_a_numpy_forward_pass(data, tmp_path, monkeypatch, name):
    """The DuckDB rendering's probabilities, values or latent columns equal a numpy forward pass of the stored
    weights written independently of sqlml's (tests/export/network_reference.py), to float64 rounding."""
    model = _create(data, name, monkeypatch)
    _export(data, tmp_path / "m.sql", model=model)
    columns, exported = _run_directly(tmp_path / "m.sql")
    outputs = [i for i, c in enumerate(columns) if c.startswith(("latent_col", "predicted_"))]
    if columns[outputs[-1]].endswith("_probs"):
        got = np.array([[entry["prob"] for entry in row[outputs[-1]]] for row in exported])
    else:
        values = np.array([[row[i] for i in outputs] for row in exported])
        got = values[:, 0] if len(outputs) == 1 else values  # a regressor's value, or the latent columns
    expected = reference(data, "penguins", model)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    if name.startswith("wide_deep"):  # the crossed categories' weights are in the query
        assert "__sqlml_x0" in tmp_path.joinpath("m.sql").read_text()
    if name.startswith("automl"):  # the winner's network
        assert "__sqlml_h0_0" in tmp_path.joinpath("m.sql").read_text()


@pytest.mark.parametrize("name", ["dnn_multiclass", "wide_deep_regressor", "autoencoder"])
@pytest.mark.parametrize("dialect", DIALECTS)
def test_network_renderings_parse_back(data, tmp_path, monkeypatch, name, dialect):
    model = _create(data, name, monkeypatch)
    _export(data, tmp_path / "m.sql", f", dialect='{dialect}', input='analytics.penguins'", model)
    tree = sqlglot.parse_one(tmp_path.joinpath("m.sql").read_text().rstrip().rstrip(";"), read=dialect)
    assert [(t.db, t.name) for t in tree.find_all(sqlglot.exp.Table)] == [("analytics", "penguins")]
    assert any(s.alias_or_name in ("predicted_species", "predicted_body_mass_g", "latent_col_1") for s in tree.selects)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_dialect_parses_back(data, tmp_path, monkeypatch, dialect):
    model = _create(data, "logistic_multiclass", monkeypatch)
    row = _export(data, tmp_path / "m.sql", f", dialect='{dialect.upper()}', input='analytics.penguins'", model)
    assert row["dialect"] == dialect
    tree = sqlglot.parse_one(tmp_path.joinpath("m.sql").read_text().rstrip().rstrip(";"), read=dialect)
    tables = [(t.db, t.name) for t in tree.find_all(sqlglot.exp.Table)]
    assert tables == [("analytics", "penguins")]
    assert [s.alias_or_name for s in tree.selects][:2] == ["predicted_species", "predicted_species_probs"]


BAD = [  # (model, options, error, fragments)
    ("linear_reg", ", dialect='nosuch'", sqlml.ProgrammingError, ["'nosuch'", "snowflake", "postgres"]),
    ("linear_reg", ", input='t(1)'", sqlml.ProgrammingError, ["input", "'t(1)'"]),
    ("linear_reg", ", quantize='int8'", sqlml.ProgrammingError, ["quantize", "format='sql'"]),
]


@pytest.mark.parametrize("model, options, error, fragments", BAD, ids=range(len(BAD)))
def test_bad_options_write_nothing(data, tmp_path, monkeypatch, model, options, error, fragments):
    _create(data, model, monkeypatch)
    fails(data, f"EXPORT MODEL {model} OPTIONS(uri='{tmp_path}/m.sql', format='sql'{options})", error, *fragments)
    assert list(tmp_path.iterdir()) == []


COVERED = ["linear_reg", "random forests", "dnn_*", "dnn_linear_combined_*", "autoencoder", "automl_*", "onnx'"]
REFUSED = {  # what format='sql' does not cover -> (statements creating model m, fragments of the error)
    "matrix_factorization": (
        [
            "CREATE OR REPLACE MODEL m OPTIONS(model_type='matrix_factorization', num_factors=2, max_iterations=2) "
            "AS SELECT i % 5 AS user, i % 7 AS item, (i % 3)::DOUBLE AS rating FROM range(60) r(i)"
        ],
        ["matrix_factorization models", *COVERED],
    ),
    "arima_plus": (
        [
            "CREATE OR REPLACE MODEL m OPTIONS(model_type='arima_plus', time_series_timestamp_col='day', "
            "time_series_data_col='y', horizon=2) AS SELECT DATE '2024-01-01' + i::INT AS day, (i * 7 % 11)::DOUBLE "
            "AS y FROM range(30) r(i)"
        ],
        ["arima_plus models", *COVERED],
    ),
    "transform_only": (
        [
            "CREATE OR REPLACE MODEL m TRANSFORM(bill_length_mm * 2 AS doubled) OPTIONS(model_type='transform_only') "
            "AS SELECT bill_length_mm FROM penguins"
        ],
        ["transform_only models", *COVERED],
    ),
    "onnx": (
        [
            MODELS["linear_reg"].replace("MODEL m ", "MODEL linear "),
            "EXPORT MODEL linear OPTIONS(uri='{folder}/linear.onnx')",
            "CREATE OR REPLACE MODEL m OPTIONS(model_type='onnx', model_path='{folder}/linear.onnx')",
        ],
        ["onnx models", *COVERED],
    ),
    "text": (
        [
            "CREATE OR REPLACE MODEL m OPTIONS(model_type='dnn_classifier', input_label_cols=['species'], "
            "hidden_units=[2], max_iterations=1) AS SELECT species, string_split(island, 'o') AS parts FROM penguins"
        ],
        ["cannot encode the input types", "plain numeric, string, bool and date columns only", "format='onnx'"],
    ),
}


@pytest.mark.parametrize("what", REFUSED)
def test_what_sql_does_not_cover_is_refused_naming_what_it_covers(data, tmp_path, tmp_path_factory, what):
    statements, fragments = REFUSED[what]
    folder = tmp_path_factory.mktemp("onnx")
    for statement in statements:
        data.cursor().execute(statement.format(folder=folder))
    fails(data, f"EXPORT MODEL m OPTIONS(uri='{tmp_path}/m.sql', format='sql')", sqlml.NotSupportedError, *fragments)
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


@pytest.mark.parametrize("objective, classes", [("regression", 0), ("binary", 2), ("multiclass", 3)])
def test_booster_missing_value_branches_match_lightgbm(objective, classes):
    """A booster trained on data with missing values (NaN-type splits, default_left both ways) as SQL: the raw
    scores DuckDB computes, NULL standing for NaN, equal LightGBM's own."""
    import lightgbm as lgb

    rng = np.random.default_rng(7)
    X = rng.normal(size=(400, 3))
    y = X[:, 0] + np.where(np.isnan(X[:, 1]), 2.0, X[:, 1])
    X[rng.random(X.shape) < 0.3] = np.nan
    target = y if not classes else np.digitize(y, np.quantile(y, np.linspace(0, 1, classes + 1)[1:-1]))
    params = {"objective": objective, "verbose": -1, "num_leaves": 8, "min_data_in_leaf": 5}
    booster = lgb.train(params | ({"num_class": classes} if classes == 3 else {}), lgb.Dataset(X, target), 10)
    dump = booster.dump_model()["tree_info"]
    splits = [n for t in dump for n in _nodes(t["tree_structure"]) if "split_index" in n]
    assert {n["missing_type"] for n in splits} == {"NaN"} and {n["default_left"] for n in splits} == {True, False}
    scores = sqlml.export.sql.booster_scores(booster, ["f0", "f1", "f2"])
    con = duckdb.connect()
    con.execute("CREATE TABLE x (f0 DOUBLE, f1 DOUBLE, f2 DOUBLE)")
    con.executemany("INSERT INTO x VALUES (?, ?, ?)", [[None if np.isnan(v) else v for v in row] for row in X.tolist()])
    got = np.array(con.execute(f"SELECT {', '.join(scores)} FROM x").fetchall())
    expected = booster.predict(X, raw_score=True).reshape(len(X), -1)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)


def _nodes(node: dict):
    yield node
    for side in ("left_child", "right_child"):
        if side in node:
            yield from _nodes(node[side])


def test_float32_thresholds_compare_as_scikit_learn():
    """x <= float32_threshold(t) exactly when float32(x) <= t (scikit-learn's trees read float32 features),
    for x on and around the float32 values and midpoints near t."""
    rng = np.random.default_rng(3)
    for t in np.concatenate([rng.normal(scale=100, size=200), np.float32(rng.normal(size=50)).astype(float)]):
        near = np.float32(t)
        grid = [np.nextafter(near, np.float32(-np.inf)), near, np.nextafter(near, np.float32(np.inf))]
        points = [float(g) for g in grid] + [(float(a) + float(b)) / 2 for a, b in zip(grid, grid[1:])]
        xs = [np.nextafter(x, d * np.inf) for x in points for d in (-1, 1)] + points + [t]
        split = sqlml.export.sql.float32_threshold(t)
        assert all((x <= split) == (np.float32(x) <= t) for x in xs), t


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_activations_in_sql_equal_tensorflows_definitions(activation):
    """Every hidden-layer activation as SQL (both branches, the clips at 0 and 6, arguments where exp would
    overflow or underflow) run by DuckDB equals its definition in numpy (tests/export/network_reference.py)."""
    z = np.concatenate([[0.0, -0.0, 6.0, 1e-300, -1e-300, 800.0, -800.0, 1e6, -1e6], np.linspace(-20, 20, 401)])
    con = duckdb.connect()
    con.execute("CREATE TABLE t (z DOUBLE, position INTEGER)")
    con.executemany("INSERT INTO t VALUES (?, ?)", [(float(v), i) for i, v in enumerate(z)])
    expressions = sqlml.export.sql_network.activations(activation, ["z"])
    got = np.array(con.execute(f"SELECT {', '.join(expressions)} FROM t ORDER BY position").fetchall())
    np.testing.assert_allclose(got, ACTIVATIONS[activation](z[:, None]), rtol=1e-14, atol=1e-15)

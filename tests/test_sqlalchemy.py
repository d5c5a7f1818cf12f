"""The `sqlml://` SQLAlchemy dialect, checked against sqlml's DB-API and DuckDB's own Python API on the same
file: SQL and ML statements, parameters, reflection, transactions, errors, pandas and JupySQL."""

from __future__ import annotations

import datetime
import decimal
import threading

import duckdb
import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy import text

import sqlml

PREDICT = "SELECT * FROM ML.PREDICT(MODEL species, TABLE flowers) ORDER BY id"


@pytest.fixture
def path(tmp_path):
    """A DuckDB file with a table `flowers` and a boosted tree classifier `species` trained on it."""
    file = tmp_path / "ml.duckdb"
    rng = np.random.default_rng(7)
    with sqlml.connect(str(file)) as con:
        cur = con.cursor()
        cur.execute("CREATE TABLE flowers (id INTEGER, petal DOUBLE, sepal DOUBLE, species VARCHAR)")
        petal = rng.uniform(0, 3, 60)
        cur.executemany(
            "INSERT INTO flowers VALUES (?, ?, ?, ?)",
            [(i, float(p), float(rng.normal()), "big" if p > 1.5 else "small") for i, p in enumerate(petal)],
        )
        cur.execute(
            "CREATE MODEL species OPTIONS (model_type = 'boosted_tree_classifier', max_iterations = 3, "
            "input_label_cols = ['species']) AS SELECT * EXCLUDE (id) FROM flowers"
        )
    return file


@pytest.fixture
def engine(path):
    engine = sa.create_engine(f"sqlml:///{path}")
    yield engine
    engine.dispose()


def dbapi_rows(path, sql: str, params=None) -> tuple[list[str], list[tuple]]:
    """Column names and rows of `sql` through sqlml's DB-API on the file."""
    with sqlml.connect(str(path)) as con:
        cur = con.cursor().execute(sql, params)
        return [d[0] for d in cur.description], cur.fetchall()


def duckdb_rows(path, sql: str, params=None) -> list[tuple]:
    """Rows of `sql` through DuckDB's own Python API on the file."""
    with duckdb.connect(str(path)) as con:
        return con.execute(sql, params).fetchall()


def model_names(path) -> list[str]:
    """The models SHOW MODELS lists through sqlml's DB-API."""
    columns, rows = dbapi_rows(path, "SHOW MODELS")
    return sorted(row[columns.index("model_name")] for row in rows)


def test_read_sql_of_ml_predict_equals_the_dbapi_result(path, engine):
    frame = pd.read_sql(PREDICT, engine)
    columns, rows = dbapi_rows(path, PREDICT)
    assert list(frame.columns) == columns and "predicted_species" in columns
    assert len(rows) == 60
    assert list(frame.itertuples(index=False, name=None)) == rows


def test_plain_sql_and_ml_evaluate_through_execute(path, engine):
    with engine.connect() as conn:
        assert conn.execute(text("SELECT id, petal FROM flowers ORDER BY id")).all() == duckdb_rows(
            path, "SELECT id, petal FROM flowers ORDER BY id"
        )
        result = conn.execute(text("SELECT * FROM ML.EVALUATE(MODEL species)"))
        assert (list(result.keys()), result.all()) == dbapi_rows(path, "SELECT * FROM ML.EVALUATE(MODEL species)")


def test_bound_parameters_in_plain_and_ml_queries(path, engine):
    with engine.connect() as conn:
        plain = conn.execute(
            text("SELECT id FROM flowers WHERE petal > :v AND species = :s ORDER BY id"), {"v": 1.0, "s": "big"}
        ).all()
        ml = conn.execute(
            text(
                "SELECT id, :who AS who, predicted_species FROM ML.PREDICT(MODEL species, "
                "(SELECT * FROM flowers WHERE petal > :v)) ORDER BY id"
            ),
            {"v": 2.0, "who": "O'Brien"},
        ).all()
    assert plain == duckdb_rows(
        path, "SELECT id FROM flowers WHERE petal > ? AND species = ? ORDER BY id", [1.0, "big"]
    )
    assert (
        ml
        == dbapi_rows(
            path,
            "SELECT id, ? AS who, predicted_species FROM ML.PREDICT(MODEL species, "
            "(SELECT * FROM flowers WHERE petal > ?)) ORDER BY id",
            ["O'Brien", 2.0],
        )[1]
    )
    assert ml and all(who == "O'Brien" for _, who, _ in ml)


def test_create_model_and_export_through_the_engine(path, engine, tmp_path):
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE MODEL petal_reg OPTIONS (model_type = 'linear_reg', input_label_cols = "
                "['petal']) AS SELECT petal, sepal FROM flowers"
            )
        )
        conn.execute(text(f"EXPORT MODEL petal_reg OPTIONS (uri = '{tmp_path / 'petal.onnx'}')"))
    assert model_names(path) == ["petal_reg", "species"]
    assert (tmp_path / "petal.onnx").stat().st_size > 0
    query = "SELECT * FROM ML.PREDICT(MODEL petal_reg, TABLE flowers)"
    assert pd.read_sql(query, engine).values.tolist() == [list(row) for row in dbapi_rows(path, query)[1]]


def test_rollback_undoes_plain_and_ml_statements(path, engine):
    with engine.connect() as conn:
        conn.execute(text("CREATE TABLE scratch AS SELECT 1 AS x"))
        conn.execute(
            text(
                "CREATE MODEL gone OPTIONS (model_type = 'linear_reg', input_label_cols = ['petal']) "
                "AS SELECT petal, sepal FROM flowers"
            )
        )
        conn.rollback()
    assert duckdb_rows(path, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'scratch'") == [(0,)]
    assert duckdb_rows(path, "SELECT count(*) FROM sqlml.models WHERE model_name = 'gone'") == [(0,)]


def test_autocommit_isolation_level_commits_each_statement(path):
    engine = sa.create_engine(f"sqlml:///{path}", isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("CREATE TABLE more AS SELECT * FROM flowers WHERE id < 5"))
            # the tree's input is read by another cursor: it sees the table only once committed
            predicted = conn.execute(text("SELECT id FROM ML.PREDICT(MODEL species, TABLE more) ORDER BY id")).all()
            conn.rollback()  # nothing to roll back
    finally:
        engine.dispose()
    assert predicted == [(i,) for i in range(5)]
    assert duckdb_rows(path, "SELECT count(*) FROM more") == [(5,)]


def test_errors_are_dbapi_errors_wrapping_sqlml_exceptions(engine):
    with engine.connect() as conn:
        with pytest.raises(sa.exc.ProgrammingError) as caught:
            conn.execute(text("SELECT * FROM ML.PREDICT(MODEL nope, TABLE flowers)"))
        assert isinstance(caught.value.orig, sqlml.ProgrammingError) and "nope" in str(caught.value.orig)
        conn.rollback()
        with pytest.raises(sa.exc.ProgrammingError) as caught:
            conn.execute(text("CREATE MODEL OPTIONS (model_type = 'linear_reg') AS SELECT 1"))
        assert isinstance(caught.value.orig, sqlml.SqlSyntaxError) and caught.value.orig.line == 1
        conn.rollback()
        with pytest.raises(sa.exc.DataError) as caught:
            conn.execute(
                text(
                    "CREATE MODEL one OPTIONS (model_type = 'logistic_reg', input_label_cols = "
                    "['species']) AS SELECT * FROM flowers WHERE species = 'big'"
                )
            )
        assert isinstance(caught.value.orig, sqlml.DataError)
        conn.rollback()
        assert conn.execute(text("SELECT count(*) FROM flowers")).scalar() == 60  # the connection still works


def test_read_only_from_the_url_and_from_connect_args(path):
    for engine in (
        sa.create_engine(f"sqlml:///{path}?read_only=true"),
        sa.create_engine(f"sqlml:///{path}", connect_args={"read_only": True}),
    ):
        try:
            with engine.connect() as conn:
                predicted = conn.execute(text("SELECT count(*) FROM ML.PREDICT(MODEL species, TABLE flowers)"))
                assert predicted.scalar() == 60
                with pytest.raises(sa.exc.OperationalError, match="read-only") as caught:
                    conn.execute(text("DROP MODEL species"))
                assert isinstance(caught.value.orig, sqlml.OperationalError)
                conn.rollback()
                with pytest.raises(sa.exc.DBAPIError, match="read-only"):
                    conn.execute(text("CREATE TABLE t2 AS SELECT 1"))
        finally:
            engine.dispose()
    assert model_names(path) == ["species"]


def test_bad_connection_arguments(path):
    with pytest.raises(sa.exc.ArgumentError, match="read_only"):
        sa.create_engine(f"sqlml:///{path}?read_only=maybe")
    memory = sa.create_engine("sqlml://", connect_args={"read_only": True})
    with pytest.raises(sa.exc.DBAPIError) as caught:
        memory.connect()
    assert isinstance(caught.value.orig, sqlml.Error)
    with pytest.raises(TypeError, match="nope"):
        sa.create_engine(f"sqlml:///{path}", connect_args={"nope": 1}).connect()


def test_url_query_sets_duckdb_settings(path):
    engine = sa.create_engine(f"sqlml:///{path}?threads=1")
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT current_setting('threads')")).scalar() == 1
    finally:
        engine.dispose()


@pytest.mark.parametrize("url", ["sqlml://", "sqlml:///:memory:"])
def test_in_memory_urls_share_one_database_across_connections(url):
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t AS SELECT range::DOUBLE AS x, 2 * range + 1.0 AS label FROM range(20)"))
            conn.execute(text("CREATE MODEL m OPTIONS (model_type = 'linear_reg') AS SELECT * FROM t"))
        with engine.connect() as conn:
            assert (
                conn.execute(
                    text("SELECT round(predicted_label, 6) FROM ML.PREDICT(MODEL m, (SELECT 4.0 AS x))")
                ).scalar()
                == 9.0
            )
            assert conn.execute(text("SELECT current_database()")).scalar() == "memory"
    finally:
        engine.dispose()


@pytest.fixture
def catalog_file(path):
    """The file with keys, constraints, a comment, a view and varied column types."""
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TYPE mood AS ENUM ('calm', 'it''s')")
        con.execute("CREATE TABLE parent (a INTEGER PRIMARY KEY, b VARCHAR UNIQUE, c INTEGER CHECK (c > 0))")
        con.execute(
            "CREATE TABLE child (x INTEGER REFERENCES parent (a), y VARCHAR NOT NULL DEFAULT 'k', "
            "z DECIMAL(10, 2), w INTEGER[], d DOUBLE, t TIMESTAMP, m mood, bl BLOB)"
        )
        con.execute("COMMENT ON TABLE child IS 'the child'")
        con.execute("CREATE VIEW big AS SELECT id, petal FROM flowers WHERE species = 'big'")
    return path


def test_reflection_names_equal_duckdbs_catalog(catalog_file, engine):
    inspector = sa.inspect(engine)
    # the user's schemas: not the model catalog `sqlml` (SHOW MODELS lists models) nor DuckDB's own databases
    assert (
        inspector.get_schema_names()
        == ["ml.main"]
        == [
            f"{db}.{schema}"
            for db, schema in duckdb_rows(
                catalog_file,
                "SELECT catalog_name, schema_name FROM information_schema.schemata "
                "WHERE catalog_name = 'ml' AND schema_name <> 'sqlml' ORDER BY 1, 2",
            )
        ]
    )
    with engine.connect() as conn:
        conn.execute(text("ATTACH ':memory:' AS other"))
        conn.execute(text("CREATE SCHEMA other.extra"))
        assert sa.inspect(conn).get_schema_names() == ["ml.main", "other.extra", "other.main"]
    tables = duckdb_rows(
        catalog_file,
        "SELECT table_schema, table_name, table_type FROM information_schema.tables "
        "WHERE table_catalog = 'ml' ORDER BY 2",
    )
    assert inspector.get_table_names() == [
        name for schema, name, kind in tables if schema == "main" and kind == "BASE TABLE"
    ]
    assert inspector.get_view_names() == ["big"]
    assert inspector.get_table_names(schema="ml.sqlml") == [name for schema, name, _ in tables if schema == "sqlml"]
    assert inspector.has_table("flowers") and not inspector.has_table("models")
    assert inspector.has_table("models", schema="sqlml")


def test_reflected_columns_equal_duckdbs_catalog(catalog_file, engine):
    inspector = sa.inspect(engine)
    for table in ("flowers", "child", "parent", "big"):
        columns = inspector.get_columns(table)
        assert [(c["name"], c["nullable"], c["default"]) for c in columns] == [
            (name, nullable == "YES", default)
            for name, nullable, default in duckdb_rows(
                catalog_file,
                "SELECT column_name, is_nullable, column_default FROM information_schema.columns "
                "WHERE table_name = ? ORDER BY ordinal_position",
                [table],
            )
        ]
    types = {c["name"]: c["type"] for c in inspector.get_columns("child")}
    assert isinstance(types["x"], sa.INTEGER) and isinstance(types["y"], sa.String)
    assert isinstance(types["z"], sa.Numeric) and (types["z"].precision, types["z"].scale) == (10, 2)
    assert isinstance(types["w"], sa.ARRAY) and isinstance(types["w"].item_type, sa.INTEGER)
    assert isinstance(types["d"], sa.DOUBLE) and isinstance(types["t"], sa.TIMESTAMP)
    assert isinstance(types["m"], sa.Enum) and types["m"].enums == ["calm", "it's"]
    assert isinstance(types["bl"], sa.LargeBinary)
    with pytest.raises(sa.exc.NoSuchTableError):
        inspector.get_columns("models")  # it is in schema sqlml, not in the current one


def test_reflected_keys_constraints_and_comments(catalog_file, engine):
    inspector = sa.inspect(engine)
    ((pk_columns,),) = duckdb_rows(
        catalog_file,
        "SELECT list(column_name) FROM information_schema.key_column_usage "
        "WHERE table_name = 'parent' AND constraint_name LIKE '%pkey'",
    )
    assert inspector.get_pk_constraint("parent")["constrained_columns"] == pk_columns == ["a"]
    assert inspector.get_pk_constraint("child")["constrained_columns"] == []
    (fk,) = inspector.get_foreign_keys("child")
    assert (fk["constrained_columns"], fk["referred_table"], fk["referred_columns"]) == (["x"], "parent", ["a"])
    assert [u["column_names"] for u in inspector.get_unique_constraints("parent")] == [["b"]]
    assert [c["sqltext"] for c in inspector.get_check_constraints("parent")] == ["(c > 0)"]
    assert inspector.get_table_comment("child") == {"text": "the child"}
    assert inspector.get_pk_constraint("big")["constrained_columns"] == []  # a view has no keys
    with pytest.raises(sa.exc.NoSuchTableError):
        inspector.get_foreign_keys("nope")


def test_metadata_reflect_then_query_the_reflected_table(catalog_file, engine):
    metadata = sa.MetaData()
    with pytest.warns(Warning, match="indices"):  # duckdb_engine does not reflect indexes
        metadata.reflect(engine, views=True)
    assert set(metadata.tables) == {"flowers", "parent", "child", "big"}
    child = metadata.tables["child"]
    assert child.primary_key.columns.keys() == [] and [fk.target_fullname for fk in child.foreign_keys] == ["parent.a"]
    flowers = metadata.tables["flowers"]
    with engine.connect() as conn:
        rows = conn.execute(sa.select(flowers.c.id).where(flowers.c.petal > 2.5).order_by(flowers.c.id)).all()
    assert rows == duckdb_rows(catalog_file, "SELECT id FROM flowers WHERE petal > 2.5 ORDER BY id")


def test_pandas_to_sql_then_train_on_the_table(path, engine):
    frame = pd.DataFrame(
        {
            "x": np.arange(40, dtype=float),
            "when": pd.date_range("2024-01-01", periods=40),
            "label": 3.0 * np.arange(40) - 1.0,
        }
    )
    assert frame.to_sql("lines", engine, index=False) == 40
    assert duckdb_rows(path, 'SELECT x, "when", label FROM lines ORDER BY x') == [
        (x, when.to_pydatetime(), label) for x, when, label in frame.itertuples(index=False)
    ]
    with engine.begin() as conn:
        conn.execute(text("CREATE MODEL line OPTIONS (model_type = 'linear_reg') AS SELECT x, label FROM lines"))
    _, rows = dbapi_rows(path, "SELECT x, predicted_label FROM ML.PREDICT(MODEL line, TABLE lines) ORDER BY x")
    assert [x for x, _ in rows] == list(range(40))
    assert all(abs(predicted - (3 * x - 1)) < 1e-6 for x, predicted in rows)


def test_jupysql_magic_in_an_ipython_shell(path, tmp_path, monkeypatch):
    for variable, value in {
        "PLOOMBER_STATS_ENABLED": "false",
        "PLOOMBER_VERSION_CHECK_DISABLED": "1",
        "HOME": str(tmp_path),
        "IPYTHONDIR": str(tmp_path / "ipython"),
    }.items():
        monkeypatch.setenv(variable, value)
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        shell.run_line_magic("load_ext", "sql")
        shell.run_line_magic("config", "SqlMagic.displaylimit = 0")
        shell.run_line_magic("sql", f"sqlml:///{path}")
        result = shell.run_line_magic("sql", PREDICT)
        assert list(result.keys) == dbapi_rows(path, PREDICT)[0]
        assert list(result) == dbapi_rows(path, PREDICT)[1]
        shell.run_line_magic(
            "sql",
            "CREATE MODEL petal_reg OPTIONS (model_type = 'linear_reg', "
            "input_label_cols = ['petal']) AS SELECT petal, sepal FROM flowers",
        )
        shell.user_ns["limit"] = 1.5
        small = shell.run_line_magic(
            "sql", "SELECT id FROM ML.PREDICT(MODEL petal_reg, TABLE flowers) WHERE petal < {{limit}} ORDER BY id"
        )
        assert list(small) == duckdb_rows(path, "SELECT id FROM flowers WHERE petal < 1.5 ORDER BY id")
        shell.run_line_magic("sql", "--close " + f"sqlml:///{path}")
    finally:
        InteractiveShell.clear_instance()
    # JupySQL asks for AUTOCOMMIT: the model is committed for everyone
    assert model_names(path) == ["petal_reg", "species"]


def test_parameter_types_round_trip(engine):
    values = {
        "i": 7,
        "f": 0.25,
        "s": "it's",
        "d": datetime.date(2024, 2, 29),
        "n": None,
        "dec": decimal.Decimal("1.50"),
        "b": True,
    }
    select = "SELECT :i AS i, :f AS f, :s AS s, :d AS d, :n AS n, :dec AS dec, :b AS b"
    with engine.connect() as conn:
        plain = conn.execute(text(select), values).one()
        ml = conn.execute(
            text(
                f"SELECT i, f, s, d, n, dec, b FROM ML.PREDICT(MODEL species, "
                f"(SELECT *, {select[7:]} FROM flowers WHERE id = 0))"
            ),
            values,
        ).one()
    expected = (7, 0.25, "it's", datetime.date(2024, 2, 29), None, decimal.Decimal("1.50"), True)
    assert tuple(plain) == expected and tuple(ml) == expected


@pytest.mark.parametrize("url", ["sqlml://ml.duckdb", "sqlml://user:secret@host:5432/ml.duckdb"])
def test_urls_with_a_host_or_credentials_are_rejected(url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # `sqlml://ml.duckdb` names a host, not a file: it must not open a memory database
    with pytest.raises(sa.exc.ArgumentError, match="sqlml:///"):
        sa.create_engine(url).connect()
    assert list(tmp_path.iterdir()) == []


def test_relative_path_is_relative_to_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    engine = sa.create_engine("sqlml:///rel.duckdb")
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t AS SELECT 42 AS x"))
    finally:
        engine.dispose()
    assert duckdb_rows(tmp_path / "rel.duckdb", "SELECT x FROM t") == [(42,)]


def test_pooled_connections_threads_and_dispose_share_the_file(path, engine):
    expected = duckdb_rows(path, "SELECT sum(petal) FROM flowers")[0][0]
    with engine.connect() as first, engine.connect() as second:  # two pooled connections on one file
        first.execute(text("INSERT INTO flowers VALUES (100, 1.0, 0.0, 'small')"))
        first.commit()
        assert second.execute(text("SELECT count(*) FROM flowers")).scalar() == 61
        first.execute(text("DELETE FROM flowers WHERE id = 100"))
        first.commit()
    results, failures = [], []

    def predict_and_sum():
        try:
            with engine.connect() as conn:
                assert len(conn.execute(text(PREDICT)).all()) == 60
                results.append(conn.execute(text("SELECT sum(petal) FROM flowers")).scalar())
        except Exception as exc:  # reported by the main thread
            failures.append(exc)

    threads = [threading.Thread(target=predict_and_sum) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == [] and results == [expected] * 6
    engine.dispose()
    with engine.connect() as conn:  # a disposed engine opens new connections
        assert conn.execute(text("SELECT sum(petal) FROM flowers")).scalar() == expected


def test_pandas_read_sql_table_params_and_to_sql_replace_append(path, engine):
    table = pd.read_sql_table("flowers", engine)
    assert list(table.itertuples(index=False, name=None)) == duckdb_rows(path, "SELECT * FROM flowers")
    query = pd.read_sql_query(
        "SELECT id FROM ML.PREDICT(MODEL species, (SELECT * FROM flowers WHERE petal > $1)) ORDER BY id",
        engine,
        params=(2.0,),
    )
    assert list(query["id"]) == [i for (i,) in duckdb_rows(path, "SELECT id FROM flowers WHERE petal > 2 ORDER BY id")]
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    for if_exists, expected in (("replace", 2), ("replace", 2), ("append", 4)):
        frame.to_sql("small", engine, if_exists=if_exists, index=False)
        assert duckdb_rows(path, "SELECT count(*), count(DISTINCT b) FROM small") == [(expected, 2)]
    with pytest.raises(ValueError, match="already exists"):
        frame.to_sql("small", engine, index=False)


def test_reflection_of_nested_and_time_zone_types_then_core_select(path, engine):
    with duckdb.connect(str(path)) as con:
        con.execute(
            'CREATE TABLE nested (l INTEGER[], s STRUCT(a INTEGER, "b c" VARCHAR), d DECIMAL(10, 2), '
            "tz TIMESTAMP WITH TIME ZONE, m MAP(VARCHAR, INTEGER), u UNION(n INTEGER, t VARCHAR), "
            "ls STRUCT(k DOUBLE)[])"
        )
        con.execute(
            "INSERT INTO nested VALUES ([1, 2], {'a': 1, 'b c': 'q'}, 3.14, '2024-01-01 12:00:00+00', "
            "MAP {'k': 1}, 5, [{'k': 0.5}]), (NULL, NULL, 1.50, NULL, NULL, 'x', [])"
        )
    types = {c["name"]: c["type"] for c in sa.inspect(engine).get_columns("nested")}
    assert isinstance(types["l"], sa.ARRAY) and isinstance(types["l"].item_type, sa.INTEGER)
    assert list(types["s"].fields) == ["a", "b c"] and isinstance(types["s"].fields["b c"], sa.String)
    assert (types["d"].precision, types["d"].scale) == (10, 2)
    assert isinstance(types["tz"], sa.TIMESTAMP) and types["tz"].timezone
    assert isinstance(types["m"].key_type, sa.String) and isinstance(types["m"].value_type, sa.INTEGER)
    assert list(types["u"].fields) == ["n", "t"]
    assert isinstance(types["ls"].item_type.fields["k"], sa.DOUBLE)
    nested = sa.Table("nested", sa.MetaData(), autoload_with=engine)
    with engine.connect() as conn:
        rows = conn.execute(sa.select(nested).where(nested.c.d > 1).order_by(nested.c.d)).all()
    assert [tuple(row) for row in rows] == duckdb_rows(path, "SELECT * FROM nested WHERE d > 1 ORDER BY d")


def test_in_memory_engine_is_one_database_for_all_threads_and_one_per_engine():
    engine, other = sa.create_engine("sqlml:///:memory:"), sa.create_engine("sqlml://")
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t AS SELECT 42 AS x"))
        seen = []

        def read():
            with engine.connect() as conn:
                seen.append(conn.execute(text("SELECT x FROM t")).scalar())

        thread = threading.Thread(target=read)
        thread.start()
        thread.join(timeout=30)
        assert seen == [42]  # another thread (a web app's, Superset's) sees the same database
        with other.connect() as conn, pytest.raises(sa.exc.ProgrammingError, match="t does not exist"):
            conn.execute(text("SELECT x FROM t"))
    finally:
        engine.dispose()
        other.dispose()

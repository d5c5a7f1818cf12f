"""The compute setting (issue 20, item 1): SET / RESET / SHOW sqlml_cluster and sqlml_cluster_dir in both dialects,
the shell's --cluster, OPTIONS(compute) on the families that train in one process (their lineage, DESCRIBE MODEL,
the model card), and nothing of Dask loaded until a statement trains on the cluster."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import duckdb
import pytest

import sqlml

TABLE = (
    "CREATE TABLE t AS SELECT i::DOUBLE AS x, (i % 7)::DOUBLE AS z, 3 * i - (i % 7) + 1.0 AS label FROM range(60) r(i)"
)
RATINGS = "CREATE TABLE r AS SELECT i % 6 AS u, i % 5 AS item, ((i * 7) % 5 + 1)::DOUBLE AS rating FROM range(60) r(i)"
KEPT_LOCAL = "local (linear_reg trains in one process)"
WAYS = ("sqlml.connect(..., cluster=...)", "--cluster", "SET sqlml_cluster = 'local' | 'tcp://host:port'")


def shown(cur) -> tuple:
    """(SHOW sqlml_cluster, SHOW sqlml_cluster_dir)."""
    return (cur.execute("SHOW sqlml_cluster").fetchall()[0][0], cur.execute("SHOW sqlml_cluster_dir").fetchall()[0][0])


@pytest.mark.parametrize("dialect", ["duckdb", "bigquery"])
def test_set_show_and_reset_the_cluster_in_either_dialect(dialect, tmp_path):
    with sqlml.connect(dialect=dialect) as con:
        cur, other = con.cursor(), con.cursor()
        assert cur.execute("SHOW sqlml_cluster").description[0][0] == "sqlml_cluster"
        assert shown(cur) == (None, None)
        assert cur.execute(f"SET sqlml_cluster_dir = '{tmp_path}'").description is None
        cur.execute("-- a scheduler nothing has to reach yet\nSET sqlml_cluster = 'tcp://127.0.0.1:8786';")
        assert shown(cur) == ("tcp://127.0.0.1:8786", str(tmp_path))
        assert shown(other) == ("tcp://127.0.0.1:8786", str(tmp_path))  # the session's, as the cluster is
        other.execute("set SESSION sqlml_cluster TO local")
        assert shown(cur) == ("local", str(tmp_path))
        cur.execute("RESET sqlml_cluster")
        assert shown(cur) == (None, None)
        assert cur.execute("SHOW sqlml_dialect").fetchall() == [(dialect,)]  # the other setting is untouched


def test_reset_goes_back_to_the_connections_cluster(tmp_path):
    with sqlml.connect(cluster="local", cluster_dir=str(tmp_path / "a")) as con:
        cur = con.cursor()
        cur.execute(f"SET sqlml_cluster_dir = '{tmp_path / 'b'}'; SET sqlml_cluster = 'tcp://10.0.0.1:8786'")
        assert shown(cur) == ("tcp://10.0.0.1:8786", str(tmp_path / "b"))
        cur.execute("RESET sqlml_cluster")
        assert shown(cur) == ("local", str(tmp_path / "a"))
        cur.execute(f"SET sqlml_cluster_dir = '{tmp_path / 'c'}'")
        assert shown(cur) == ("local", str(tmp_path / "c"))
        cur.execute("RESET sqlml_cluster_dir")
        assert shown(cur) == ("local", str(tmp_path / "a"))


@pytest.mark.parametrize(
    ("statement", "wrong"),
    [
        ("SET sqlml_cluster = 'spark://x:7077'", "neither 'local' nor a Dask scheduler address"),
        ("SET sqlml_cluster = 'tcp://x:8786'", "give cluster_dir"),
        ("SET sqlml_cluster 'local'", r"the setting sqlml_cluster reads SET sqlml_cluster = 'local' \| 'tcp://"),
        ("SHOW SESSION sqlml_cluster", "the setting sqlml_cluster reads"),
        ("SET sqlml_cluster_dir = ''", "cluster_dir: '' is not a directory"),
        ("RESET sqlml_cluster = 'local'", "the setting sqlml_cluster reads"),
    ],
)
@pytest.mark.parametrize("dialect", ["duckdb", "bigquery"])
def test_a_bad_setting_is_refused_and_changes_nothing(statement, wrong, dialect):
    with sqlml.connect(dialect=dialect) as con:
        cur = con.cursor()
        cur.execute("SET sqlml_cluster = 'local'")
        with pytest.raises(sqlml.ProgrammingError, match=wrong):
            cur.execute(statement)
        assert shown(cur) == ("local", None)


def test_a_cluster_dir_without_a_cluster_is_refused():
    with pytest.raises(sqlml.ProgrammingError, match="cluster_dir goes with cluster"):
        sqlml.connect(cluster_dir="/tmp")


def test_a_setting_takes_no_parameters():
    with sqlml.connect() as con, pytest.raises(sqlml.ProgrammingError, match="sqlml_cluster takes no parameters"):
        con.execute("SET sqlml_cluster = 'local'", ["x"])


def test_a_cluster_set_by_a_statement_is_the_one_used(scheduler, tmp_path):
    with sqlml.connect() as con:
        cur, session = con.cursor(), con._session
        cur.execute(f"SET sqlml_cluster_dir = '{tmp_path / 'a'}'; SET sqlml_cluster = '{scheduler}'")
        first = session.cluster()
        assert (first.setting.address, first.staging, first.workers) == (scheduler, str(tmp_path / "a"), 2)
        cur.execute(f"SET sqlml_cluster_dir = '{tmp_path / 'b'}'")  # the cluster moves: the old client is closed
        assert first.client.status == "closed"
        second = session.cluster()
        assert (second.staging, second.workers) == (str(tmp_path / "b"), 2)
        cur.execute(f"SET sqlml_cluster = '{scheduler}'")  # the same setting keeps the open cluster
        assert session.cluster() is second
        cur.execute("RESET sqlml_cluster")
        assert second.client.status == "closed" and session.cluster() is None


def test_a_version_trained_on_the_cluster_is_described_with_its_workers(cluster_con, scheduler):
    """What DESCRIBE MODEL and the model card say of the lineage a cluster gives a version it trains."""
    from sqlml.engine.compute import described

    assert described(cluster_con._session.cluster().lineage()) == f"cluster {scheduler}: 2 workers"


def test_the_shell_takes_a_cluster(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "sqlml.cli", "--cluster", "tcp://127.0.0.1:8786", "--cluster-dir", str(tmp_path)]
        + ["-csv", "-c", "SHOW sqlml_cluster; SHOW sqlml_cluster_dir"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["sqlml_cluster", "tcp://127.0.0.1:8786", "sqlml_cluster_dir", str(tmp_path)]


@pytest.mark.parametrize(
    ("flags", "wrong"),
    [
        (["--cluster", "yarn"], "neither 'local' nor a Dask scheduler address"),
        (["--cluster", "tcp://h:8786"], "give cluster_dir"),
        (["--cluster-dir", "/tmp"], "--cluster-dir goes with --cluster"),
    ],
)
def test_a_bad_cluster_flag_is_a_usage_error(flags, wrong):
    done = subprocess.run(
        [sys.executable, "-m", "sqlml.cli", *flags, "-c", "SELECT 1"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2 and "usage: sqlml" in done.stderr and wrong in done.stderr, done.stderr


def test_a_session_with_a_cluster_loads_no_dask_until_it_trains_there(tmp_path):
    code = textwrap.dedent(f"""
        import sys, sqlml
        cur = sqlml.connect({str(tmp_path / "lazy.duckdb")!r}, cluster="local").cursor()
        assert cur.execute("SELECT 42").fetchall() == [(42,)]
        cur.execute({TABLE!r})
        cur.execute("CREATE MODEL m OPTIONS(model_type='linear_reg', compute='CLUSTER') AS SELECT * FROM t")
        cur.execute("SELECT count(*) FROM ML.PREDICT(MODEL m, TABLE t)")
        cur.execute("SET sqlml_cluster_dir = {str(tmp_path)!r}; SET sqlml_cluster = 'tcp://127.0.0.1:8786'")
        print(sorted({{m.split(".")[0] for m in sys.modules}} & {{"dask", "distributed", "lightgbm"}}))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["[]"]


def test_a_family_trained_in_one_process_says_so_when_a_cluster_is_asked_for():
    with sqlml.connect(cluster="local") as con:  # never started: linear_reg does not train there
        cur = con.cursor()
        cur.execute(TABLE)
        cur.execute("CREATE MODEL asked OPTIONS(model_type='linear_reg', compute='CLUSTER') AS SELECT * FROM t")
        cur.execute("CREATE MODEL auto OPTIONS(model_type='linear_reg') AS SELECT * FROM t")
        cur.execute("CREATE MODEL here OPTIONS(model_type='linear_reg', compute='LOCAL') AS SELECT * FROM t")
        described = {m: _describe(cur, m) for m in ("asked", "auto", "here")}
        assert described == {"asked": KEPT_LOCAL, "auto": KEPT_LOCAL, "here": "local"}
        stored = cur.execute("SELECT model_name, compute FROM sqlml.model_versions ORDER BY model_name").fetchall()
        reason = {"compute": "local", "reason": "linear_reg trains in one process"}
        assert [(name, json.loads(value) if value else None) for name, value in stored] == [
            ("asked", reason),
            ("auto", reason),
            ("here", None),
        ]
        (card,) = cur.execute("SELECT * FROM ML.MODEL_CARD(MODEL asked)").fetchone()
        lineage = card.split("Training data and lineage", 1)[1]
        assert f"Trained: {KEPT_LOCAL}" in lineage
        assert session_not_connected(con)


@pytest.mark.parametrize(
    ("model_type", "options", "table"),
    [
        ("matrix_factorization", "user_col='u', item_col='item', rating_col='rating', num_factors=2", "r"),
        ("kmeans", "num_clusters=2", "t"),
        ("pca", "num_principal_components=1", "t"),
        ("random_forest_regressor", "num_parallel_tree=2, max_tree_depth=2", "t"),
    ],
)
def test_every_family_trained_in_one_process_records_why(model_type, options, table):
    with sqlml.connect(cluster="local") as con:
        cur = con.cursor()
        cur.execute(TABLE)
        cur.execute(RATINGS)
        columns = "* EXCLUDE (label)" if model_type in ("kmeans", "pca") else "*"
        cur.execute(
            f"CREATE MODEL m OPTIONS(model_type='{model_type}', {options}, compute='CLUSTER') "
            f"AS SELECT {columns} FROM {table}"
        )
        assert _describe(cur, "m") == f"local ({model_type} trains in one process)"
        assert session_not_connected(con)


@pytest.mark.parametrize(
    ("model_type", "options", "table"),
    [
        ("linear_reg", "", "t"),
        ("matrix_factorization", ", user_col='u', item_col='item', rating_col='rating'", "r"),
        ("boosted_tree_regressor", ", num_parallel_tree=1, max_iterations=2", "t"),
    ],
)
def test_compute_cluster_without_a_cluster_names_the_ways_and_writes_nothing(tmp_path, model_type, options, table):
    path = tmp_path / "no_cluster.duckdb"
    with sqlml.connect(str(path)) as con:
        con.execute(TABLE)
        con.execute(RATINGS)
        con.execute("CREATE MODEL m OPTIONS(model_type='linear_reg') AS SELECT * FROM t")
    before = _catalog(path)
    with sqlml.connect(str(path)) as con:
        with pytest.raises(sqlml.ProgrammingError, match="compute='CLUSTER' needs a cluster") as caught:
            con.execute(
                f"CREATE OR REPLACE MODEL m OPTIONS(model_type='{model_type}'{options}, compute='CLUSTER') "
                f"AS SELECT * FROM {table}"
            )
    assert all(way in str(caught.value) for way in WAYS), caught.value
    assert _catalog(path) == before


def _describe(cur, model: str) -> str:
    cur.execute(f"DESCRIBE MODEL {model}")
    names = [d[0] for d in cur.description]
    return cur.fetchone()[names.index("compute")]


def _catalog(path) -> list[tuple]:
    """The catalog's versions, read by DuckDB itself."""
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(
            "SELECT model_name, version, model_type, artifact_sha256 FROM sqlml.model_versions ORDER BY ALL"
        ).fetchall()


def session_not_connected(con) -> bool:
    """Whether the session's cluster was never opened (the families here train in one process)."""
    return con._session._cluster is None

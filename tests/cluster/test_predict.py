"""COPY (SELECT * FROM ML.PREDICT(...)) TO Parquet and CREATE TABLE ... AS SELECT * FROM ML.PREDICT(...) on a
session with a cluster: each partition is scored by a worker, and the rows equal ML.PREDICT's in this process
(the same statement's query run as a plain SELECT) row for row, joined on an id column: labels and other values
equal, floats within 1e-6 relative (1e-12 absolute near 0), as both run the model in float64.

Issue 20 item 4; ML.PREDICT's output columns as https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-predict
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import sqlml
from sqlml.cluster import predict as cluster_predict

FILES, ROWS_PER_FILE = 3, 2_000


@pytest.fixture
def big(tmp_path) -> str:
    """A glob of FILES Parquet files written by DuckDB: numbers and strings with NULLs, a boolean, a string and a
    numeric label; ids 0 .. FILES * ROWS_PER_FILE - 1 in file order."""
    (tmp_path / "big").mkdir()
    with duckdb.connect() as con:
        for n in range(FILES):
            con.execute(
                f"""COPY (
                    SELECT i AS id, (hash(i) % 1000) / 100.0 AS a,
                           CASE WHEN i % 7 = 0 THEN NULL ELSE (hash(i * 3) % 50)::DOUBLE END AS b,
                           CASE WHEN i % 11 = 0 THEN NULL ELSE 'k' || (i % 4) END AS s,
                           (hash(i) % 1000) / 100.0 + coalesce(i % 4, 0) + (hash(i * 7) % 300) / 100.0 > 6 AS y,
                           CASE WHEN (hash(i) % 1000) / 100.0 + (i % 4) > 6 THEN 'yes' ELSE 'no' END AS answer,
                           (hash(i) % 1000) / 100.0 * 2 + (i % 4) AS r
                    FROM range({n * ROWS_PER_FILE}, {(n + 1) * ROWS_PER_FILE}) t(i)
                ) TO '{tmp_path}/big/part_{n}.parquet'"""
            )
    return f"{tmp_path}/big/*.parquet"


@pytest.fixture
def cur(cluster_con, big):
    """A cursor of the cluster session with the input as table t too (models train on it in this process)."""
    cursor = cluster_con.cursor()
    cursor.execute(f"CREATE TABLE t AS SELECT * FROM read_parquet('{big}')")
    return cursor


MODELS = {
    "boosted_tree_classifier": "OPTIONS(model_type='boosted_tree_classifier', input_label_cols=['y'], "
    "max_iterations=10, compute='LOCAL') AS SELECT a, b, s, y FROM t",
    "logistic_reg": "TRANSFORM(a * 2 AS a2, COALESCE(s, 'none') AS s2, b, answer) "
    "OPTIONS(model_type='logistic_reg', input_label_cols=['answer']) AS SELECT a, b, s, answer FROM t",
    "kmeans": "OPTIONS(model_type='kmeans', num_clusters=3) AS SELECT a, b, r FROM t",
    "random_forest_regressor": "OPTIONS(model_type='random_forest_regressor', input_label_cols=['r'], "
    "num_parallel_tree=5, max_tree_depth=5) AS SELECT a, b, s, r FROM t",
    "pca": "OPTIONS(model_type='pca', num_principal_components=2) AS SELECT a, b, r FROM t",  # a, b, r left out
}


@contextmanager
def worker_tasks(scheduler: str):
    """The names of the tasks the cluster's workers ran while the block ran (Dask's task stream)."""
    from distributed import Client, get_task_stream

    names: list[str] = []
    with Client(scheduler) as client, get_task_stream(client) as stream:
        yield names
    names += [str(task["key"]) for task in stream.data]


def scored_here(cur, call: str):
    """ML.PREDICT of `call` run in this process: the same query as a plain SELECT."""
    cur.execute(f"SELECT * FROM {call}")
    assert not cur.messages
    return cur.fetch_arrow_table()


def same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-12) or (math.isnan(a) and math.isnan(b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def assert_same_rows(got, expected) -> None:
    """The same columns (names, order, types) and, joined on id, the same values."""
    assert got.schema == expected.schema
    assert got.num_rows == expected.num_rows
    by_id = {row["id"]: row for row in expected.to_pylist()}
    for row in got.to_pylist():
        assert same(row, by_id[row["id"]]), (row, by_id[row["id"]])


def read(cur, source: str):
    cur.execute(f"SELECT * FROM {source}")
    return cur.fetch_arrow_table()


def score_file_tasks(names: list[str]) -> int:
    return sum(name.startswith("score_file") for name in names)


def notice_of_running_here(cur, scheduler: str, call: str, statement: str, result: str) -> str:
    """Run `statement` (`result` holds what it writes) and check it ran in this process: no task on the workers,
    ML.PREDICT's rows here in `result`; the notice saying why."""
    expected = scored_here(cur, call)
    with worker_tasks(scheduler) as tasks:
        cur.execute(statement)
    ((_, notice),) = cur.messages
    assert score_file_tasks(tasks) == 0
    assert read(cur, result) == expected
    return notice


@pytest.mark.parametrize("model_type", MODELS)
def test_copy_and_create_table_score_each_file_on_a_worker_as_ml_predict_does(
    cur, big, scheduler, tmp_path, model_type
):
    cur.execute(f"CREATE MODEL m {MODELS[model_type]}")
    call = f"ML.PREDICT(MODEL m, (SELECT * FROM read_parquet('{big}')))"
    expected = scored_here(cur, call)
    with worker_tasks(scheduler) as tasks:
        cur.execute(f"COPY (SELECT * FROM {call}) TO '{tmp_path}/out/' (FORMAT parquet)")
        assert cur.fetchall() == [(FILES * ROWS_PER_FILE,)]
        cur.execute(f"CREATE TABLE p AS SELECT * FROM {call}")
        assert cur.fetchall() == [(FILES * ROWS_PER_FILE,)]
    assert not cur.messages
    assert score_file_tasks(tasks) == 2 * FILES  # a task per input file, each statement
    out = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert out == [f"data_{n}.parquet" for n in range(FILES)]
    assert all(
        pq.ParquetFile(p).metadata.created_by.startswith("parquet-cpp-arrow") for p in (tmp_path / "out").iterdir()
    )
    assert list((tmp_path / "staging").iterdir()) == []  # the statement's staging is gone
    copied, table = read(cur, f"read_parquet('{tmp_path}/out/*.parquet')"), read(cur, "p")
    assert_same_rows(copied, expected)
    assert_same_rows(table, expected)
    assert copied.column("id").to_pylist() == table.column("id").to_pylist() == list(range(FILES * ROWS_PER_FILE))


def test_a_query_input_is_staged_in_partitions_and_keeps_its_order(cur, scheduler, tmp_path, monkeypatch):
    """An input that is not a bare read_parquet: DuckDB writes it as Parquet partitions the workers read; here
    2,048 rows each (DuckDB's row groups come in multiples of 2,048)."""
    monkeypatch.setattr(cluster_predict, "PARTITION_ROWS", 2_048)
    cur.execute(f"CREATE MODEL m {MODELS['boosted_tree_classifier']}")
    call = "ML.PREDICT(MODEL m, (SELECT * FROM t WHERE id % 3 <> 0 ORDER BY id DESC), STRUCT(0.3 AS threshold))"
    expected = scored_here(cur, call)
    with worker_tasks(scheduler) as tasks:
        cur.execute(f"COPY (SELECT * FROM {call}) TO '{tmp_path}/scored.parquet'")
    assert cur.fetchall() == [(expected.num_rows,)]
    assert score_file_tasks(tasks) == math.ceil(expected.num_rows / 2_048)
    copied = read(cur, f"'{tmp_path}/scored.parquet'")
    assert_same_rows(copied, expected)
    assert copied.column("id").to_pylist() == expected.column("id").to_pylist()  # the query's order
    probability = [row[1]["prob"] for row in copied.column("predicted_y_probs").to_pylist()]
    assert copied.column("predicted_y").to_pylist() == [p > 0.3 for p in probability]  # the threshold's labels


def test_a_model_without_an_onnx_graph_runs_in_this_process(cur, scheduler):
    cur.execute(
        "CREATE TABLE ratings AS SELECT i % 20 AS user, i % 13 AS item, (i % 5)::DOUBLE AS rating FROM range(400) r(i)"
    )
    cur.execute("CREATE MODEL mf OPTIONS(model_type='matrix_factorization', num_factors=2) AS SELECT * FROM ratings")
    call = "ML.PREDICT(MODEL mf, TABLE ratings)"
    notice = notice_of_running_here(cur, scheduler, call, f"CREATE TABLE p AS SELECT * FROM {call}", "p")
    assert notice == (
        "ML.PREDICT ran in this process, not on the cluster: matrix_factorization models have no ONNX graph for "
        "the workers to run"
    )


def test_other_shapes_run_in_this_process_without_the_cluster(cluster_con, big, tmp_path):
    cur = cluster_con.cursor()
    cur.execute(f"CREATE TABLE t AS SELECT * FROM read_parquet('{big}')")
    cur.execute(f"CREATE MODEL m {MODELS['kmeans']}")
    call = f"ML.PREDICT(MODEL m, (SELECT * FROM read_parquet('{big}')))"
    for statement in (
        f"COPY (SELECT * FROM {call}) TO '{tmp_path}/x.csv'",
        f"COPY (SELECT * FROM {call} WHERE CENTROID_ID = 1) TO '{tmp_path}/x.parquet'",
        f"COPY (SELECT * FROM {call}) TO '{tmp_path}/y.parquet' (FORMAT parquet, COMPRESSION zstd)",
        f"CREATE TABLE p AS SELECT id, CENTROID_ID FROM {call}",
    ):
        cur.execute(statement)
    assert cluster_con._session._cluster is None  # never connected


def test_a_session_without_a_cluster_never_scores_there(big, tmp_path, monkeypatch):
    monkeypatch.setattr(cluster_predict, "predict", lambda *args: pytest.fail("the cluster layer was called"))
    with sqlml.connect() as con:
        cur = con.cursor()
        cur.execute(f"CREATE TABLE t AS SELECT * FROM read_parquet('{big}')")
        cur.execute(f"CREATE MODEL m {MODELS['kmeans']}")
        cur.execute(f"COPY (SELECT * FROM ML.PREDICT(MODEL m, TABLE t)) TO '{tmp_path}/x.parquet'")
        cur.execute(f"SELECT count(*) FROM '{tmp_path}/x.parquet'")
        assert cur.fetchall() == [(FILES * ROWS_PER_FILE,)]


def test_an_unknown_model_is_the_error_ml_predict_gives(cur, big, tmp_path):
    call = f"ML.PREDICT(MODEL nowhere, (SELECT * FROM read_parquet('{big}')))"
    with pytest.raises(sqlml.ProgrammingError) as here:
        cur.execute(f"SELECT * FROM {call}")
    with pytest.raises(sqlml.ProgrammingError) as there:
        cur.execute(f"COPY (SELECT * FROM {call}) TO '{tmp_path}/out/' (FORMAT parquet)")
    assert str(there.value) == str(here.value)
    assert not (tmp_path / "out").exists()


def test_a_failing_task_leaves_no_table_no_target_and_no_staging(cur, big, scheduler, tmp_path):
    cur.execute(f"CREATE MODEL m {MODELS['boosted_tree_classifier']}")
    broken = Path(big).parent / "part_9.parquet"  # the last file: the coordinator reads only the first
    broken.write_bytes(b"not parquet" * 100)
    call = f"ML.PREDICT(MODEL m, (SELECT * FROM read_parquet('{big}')))"
    for statement in (
        f"CREATE TABLE p AS SELECT * FROM {call}",
        f"COPY (SELECT * FROM {call}) TO '{tmp_path}/out/' (FORMAT parquet)",
    ):
        with worker_tasks(scheduler) as tasks, pytest.raises(sqlml.OperationalError) as failed:
            cur.execute(statement)
        assert f"scoring {broken} failed on a worker" in str(failed.value)
        assert score_file_tasks(tasks) >= 1
    cur.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'p'")
    assert cur.fetchall() == [(0,)]
    assert not (tmp_path / "out").exists()
    assert list((tmp_path / "staging").iterdir()) == []


def test_a_directory_holding_files_is_refused_before_any_work_unless_overwrite(cur, big, scheduler, tmp_path):
    cur.execute(f"CREATE MODEL m {MODELS['kmeans']}")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "old.parquet").write_bytes(b"old")
    copy = f"COPY (SELECT * FROM ML.PREDICT(MODEL m, (SELECT * FROM read_parquet('{big}')))) TO '{tmp_path}/out'"
    with worker_tasks(scheduler) as tasks, pytest.raises(sqlml.ProgrammingError, match="OVERWRITE"):
        cur.execute(f"{copy} (FORMAT parquet, PER_THREAD_OUTPUT true)")
    assert score_file_tasks(tasks) == 0
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["old.parquet"]
    cur.execute(f"{copy} (FORMAT parquet, PER_THREAD_OUTPUT true, OVERWRITE true)")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [f"data_{n}.parquet" for n in range(FILES)]


def test_a_graph_disagreeing_with_ml_predict_on_the_first_rows_runs_in_this_process(cur, big, scheduler, monkeypatch):
    """The check before the workers start: here the graph's values are made off by one in this process."""
    shifted = {**cluster_predict._PREDICTIONS, "values": lambda plan, scores, schema: [pa.array(scores + 1)]}
    monkeypatch.setattr(cluster_predict, "_PREDICTIONS", shifted)
    cur.execute(f"CREATE MODEL m {MODELS['random_forest_regressor']}")
    call = f"ML.PREDICT(MODEL m, (SELECT * FROM read_parquet('{big}')))"
    notice = notice_of_running_here(cur, scheduler, call, f"CREATE TABLE p AS SELECT * FROM {call}", "p")
    assert notice == (
        "ML.PREDICT ran in this process, not on the cluster: the graph's predicted_r disagrees with ML.PREDICT's on "
        "100.00% of the first rows"
    )


def test_a_feature_the_graph_has_no_form_for_runs_in_this_process(cur, scheduler, tmp_path):
    """EXPORT MODEL refuses the empty string as a category (an exported graph reads "" as NULL)."""
    cur.execute("CREATE TABLE e AS SELECT id, a, CASE WHEN id % 3 = 0 THEN '' ELSE s END AS s, y FROM t")
    cur.execute("CREATE MODEL m OPTIONS(model_type='logistic_reg', input_label_cols=['y']) AS SELECT a, s, y FROM e")
    call, scored = "ML.PREDICT(MODEL m, TABLE e)", f"'{tmp_path}/scored.parquet'"
    notice = notice_of_running_here(cur, scheduler, call, f"COPY (SELECT * FROM {call}) TO {scored}", scored)
    assert notice.startswith("ML.PREDICT ran in this process, not on the cluster: feature 's' has the empty string")

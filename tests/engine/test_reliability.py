"""Crash safety (SIGKILL during CREATE OR REPLACE MODEL) and concurrent replace/predict."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import sqlml

WRITER = Path(__file__).with_name("crash_writer.py")
PROBE = "SELECT round(sum(predicted_label), 6) FROM ML.PREDICT(MODEL m, TABLE t)"


@pytest.fixture
def database(tmp_path):
    """A file database holding table t and version 1 of model m; returns (path, v1's probe value)."""
    path = str(tmp_path / "crash.duckdb")
    with sqlml.connect(path) as con:
        cur = con.cursor()
        cur.execute("CREATE TABLE t AS SELECT random() AS x1, random() AS x2, random() AS label FROM range(20000)")
        cur.execute("CREATE MODEL m OPTIONS(model_type='linear_reg') AS SELECT * FROM t")
        probe = cur.execute(PROBE).fetchone()
    return path, probe


def _kill_at(path: str, stop: str) -> None:
    """Run the writer until it holds at `stop` (crash_writer.py), then SIGKILL it there."""
    with subprocess.Popen(
        [sys.executable, str(WRITER), path, stop], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as process:
        try:
            line = process.stdout.readline()
            assert line.strip() == "HOLDING", f"the writer did not hold at {stop!r}: {line!r}"
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
        finally:
            process.kill()
    assert process.returncode == -signal.SIGKILL


def _assert_only_version_1(path: str, probe) -> None:
    with sqlml.connect(path) as con:
        cur = con.cursor()
        assert cur.execute("SELECT model_name, active_version FROM sqlml.models").fetchall() == [("m", 1)]
        assert cur.execute("SELECT version, model_type FROM sqlml.model_versions").fetchall() == [(1, "linear_reg")]
        assert cur.execute(PROBE).fetchone() == probe  # version 1, intact, predicts as before


def test_kill_inside_the_catalog_transaction_leaves_the_previous_version(database):
    path, probe = database
    _kill_at(path, "transaction")
    _assert_only_version_1(path, probe)


@pytest.mark.parametrize("iteration", [1, 10, 20])  # the first, a middle and the last boosting iteration
def test_kill_during_training_leaves_the_previous_version(database, iteration):
    path, probe = database
    _kill_at(path, f"training {iteration}")
    _assert_only_version_1(path, probe)


def test_replace_while_predicting_gives_whole_versions(con, monkeypatch):
    """One thread replaces two models (version i: linear label = f*x, trees label = f, f = 1 or 2) while
    another predicts with both: every result is entirely one version's, and no error is raised. Input
    batches are small, so a streamed result spans many batches."""
    from sqlml.engine import context

    monkeypatch.setattr(context, "MIN_BATCH_ROWS", 128)
    monkeypatch.setattr(context, "MAX_BATCH_ROWS", 128)
    cur = con.cursor()
    cur.execute("CREATE TABLE t AS SELECT (range + 1)::DOUBLE AS x FROM range(2000)")
    create = {
        "m": "CREATE OR REPLACE MODEL m OPTIONS(model_type='linear_reg') AS SELECT x, {f} * x AS label FROM t",
        "g": "CREATE OR REPLACE MODEL g OPTIONS(model_type='boosted_tree_regressor', max_iterations=3) "
        "AS SELECT x, {f}.0 AS label FROM t",
    }
    for statement in create.values():
        cur.execute(statement.format(f=1))
    failures, seen, done = [], set(), threading.Event()

    def replace():
        writer = con.cursor()
        try:
            for i in range(20):
                for statement in create.values():
                    writer.execute(statement.format(f=1 + (i + 1) % 2))
        except BaseException as exc:  # noqa: BLE001 - the test reports whatever happened
            failures.append(exc)
        finally:
            done.set()

    def predict():
        reader = con.cursor()
        try:
            while not done.is_set():
                linear = {
                    round(r[0], 6)
                    for r in reader.execute("SELECT predicted_label / x FROM ML.PREDICT(MODEL m, TABLE t)").fetchall()
                }
                trees = {
                    round(r[0], 6)
                    for r in reader.execute("SELECT predicted_label FROM ML.PREDICT(MODEL g, TABLE t)").fetchall()
                }
                assert len(linear) == 1 and len(trees) == 1, (linear, trees)  # one whole version each
                seen.update(linear | trees)
        except BaseException as exc:  # noqa: BLE001
            failures.append(exc)

    threads = [threading.Thread(target=replace), threading.Thread(target=predict)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not failures, failures
    assert seen <= {1.0, 2.0} and seen, seen

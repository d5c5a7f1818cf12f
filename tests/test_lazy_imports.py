"""What a new process loads: `import sqlml`, a plain query, ML.PREDICT of a model compiled to SQL, the shell (a
script and the first prompt) and the server up to listening import no ML library (issue 21, item 5); a Ctrl-C
while the engine loads is a one-line error.

Each case runs in a fresh process and reads what it imported: its `sys.modules`, or Python's own import log
(PYTHONPROFILEIMPORTTIME, the environment form of `-X importtime`, written to stderr) for the commands."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pexpect
import pytest

import sqlml
from tests.server.serving import server_process

HEAVY = {"sklearn", "lightgbm", "scipy", "onnx", "onnxruntime", "pandas", "optuna", "fairlearn", "skops", "implicit"}
IMPORT_LOG = {"PYTHONPROFILEIMPORTTIME": "1"}
IMPORTED = re.compile(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)\s*$", re.MULTILINE)
COMPILED_MODELS = {  # the families ML.PREDICT scores as SQL
    "lin": "model_type='linear_reg', input_label_cols=['y']",
    "logit": "model_type='logistic_reg', input_label_cols=['label']",
    "clusters": "model_type='kmeans', num_clusters=3",
    "components": "model_type='pca', num_principal_components=2",
}


def heavy(modules) -> set[str]:
    """The ML libraries among module names (a package and its submodules count as the package)."""
    return {name.split(".")[0] for name in modules} & HEAVY


def loaded_by(code: str) -> list[str]:
    """The ML libraries a fresh interpreter has loaded after running `code`."""
    done = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return sorted(heavy(json.loads(done.stdout.splitlines()[-1])))


def imported_in(log: str) -> set[str]:
    """The modules an import log names."""
    return set(IMPORTED.findall(log))


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    """A database file with a table `t` and one model of each compiled family, trained by this (earlier) process."""
    path = tmp_path_factory.mktemp("lazy") / "lazy.duckdb"
    with sqlml.connect(str(path)) as con:
        con.execute(
            "CREATE TABLE t AS SELECT i, sin(i) AS a, cos(i * 0.7) AS b, ['x', 'y', 'z'][i % 3 + 1] AS c, "
            "2 * sin(i) - cos(i * 0.7) AS y, sin(i) > cos(i * 0.7) AS label FROM range(200) r(i)"
        )
        for name, options in COMPILED_MODELS.items():
            con.execute(
                f"CREATE MODEL {name} OPTIONS({options}) AS SELECT * EXCLUDE (i"
                + (")" if "label_cols" in options else ", y, label)")
                + " FROM t"
            )
    return path


def test_import_sqlml_loads_no_ml_library():
    assert loaded_by("import sqlml") == []


def test_a_plain_query_loads_no_ml_library(db):
    assert (
        loaded_by(
            f"import sqlml\ncur = sqlml.connect({str(db)!r}).cursor()\ncur.execute('SELECT 42')\n"
            "assert cur.fetchall() == [(42,)]"
        )
        == []
    )


def test_a_plain_query_and_the_dialect_hint_load_no_parser(db):
    """The BigQuery dialect's hint is looked for only on errors, and without sqlglot."""
    code = textwrap.dedent(f"""
        import sys, sqlml
        cur = sqlml.connect({str(db)!r}).cursor()
        assert cur.execute("SELECT 42").fetchall() == [(42,)]
        try:
            cur.execute('SELECT i FROM t WHERE c = "x"')
            message = "no error"
        except sqlml.ProgrammingError as exc:
            message = str(exc)
        assert "SET sqlml_dialect = 'bigquery'" in message, message
        print(sorted(m for m in sys.modules if m.startswith(("sqlglot", "sqlml.parser"))))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["['sqlml.parser',", "'sqlml.parser.keywords']"]


@pytest.mark.parametrize("model", sorted(COMPILED_MODELS))
def test_predicting_with_a_model_compiled_to_sql_loads_no_ml_library(db, model):
    code = textwrap.dedent(f"""
        import sqlml
        cur = sqlml.connect({str(db)!r}).cursor()
        cur.execute("SELECT count(*) FROM ML.PREDICT(MODEL {model}, (SELECT * FROM t))")
        assert cur.fetchall() == [(200,)]
    """)
    assert loaded_by(code) == []


def test_a_shell_script_run_loads_no_ml_library(db):
    done = subprocess.run(
        [sys.executable, "-m", "sqlml.cli", str(db), "-c", "SELECT 42 AS answer"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **IMPORT_LOG},
    )
    assert done.returncode == 0 and "│     42 │" in done.stdout, done.stderr[-2000:]
    imported = imported_in(done.stderr)
    assert "sqlml.engine.session" in imported  # the log is read: the engine did load
    assert sorted(heavy(imported)) == []


def test_the_shell_first_prompt_loads_no_ml_library(db, tmp_path):
    env = {
        **os.environ,
        **IMPORT_LOG,
        "TERM": "xterm-256color",
        "PROMPT_TOOLKIT_NO_CPR": "1",
        "HOME": str(tmp_path),
        "SQLML_HISTORY": str(tmp_path / "history"),
    }
    child = pexpect.spawn(
        sys.executable, ["-m", "sqlml.cli", str(db)], env=env, dimensions=(40, 200), encoding="utf-8", timeout=120
    )
    child.expect_exact("\x1b[?2004h")  # prompt_toolkit turns bracketed paste on as the prompt starts
    imported = imported_in(child.before.replace("\r", ""))
    child.sendcontrol("d")
    child.expect(pexpect.EOF)
    child.close()
    assert "prompt_toolkit" in imported and "sqlml.engine.session" in imported
    assert sorted(heavy(imported)) == []


def test_the_server_up_to_listening_loads_no_ml_library(db):
    with server_process(db, env=IMPORT_LOG) as served:
        pass  # it said it listens
    imported = imported_in("\n".join(served.log()))
    assert "sqlml.engine.session" in imported
    assert sorted(heavy(imported)) == []


# the child stops as the shell starts importing the engine, and waits there for the Ctrl-C (in short sleeps, not
# signal.pause(): a SIGINT landing between the print and pause() would leave pause() waiting for another signal).
# It takes Python's Ctrl-C handler as a terminal's foreground process has it: a test run in the background of a
# shell inherits SIGINT ignored, and Python then installs none.
_PAUSE_IN_ENGINE_IMPORT = """
import importlib.abc, runpy, signal, sys, time

signal.signal(signal.SIGINT, signal.default_int_handler)

class Pause(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "sqlml.engine.session":
            print("importing the engine", file=sys.stderr, flush=True)
            while True:
                time.sleep(0.05)

sys.meta_path.insert(0, Pause())
sys.argv = ["sqlml", ":memory:", "-c", "SELECT 42"]
runpy.run_module("sqlml.cli", run_name="__main__")
"""


def test_ctrl_c_while_the_engine_loads_is_a_one_line_error():
    child = subprocess.Popen(
        [sys.executable, "-c", _PAUSE_IN_ENGINE_IMPORT], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert child.stderr.readline() == "importing the engine\n"
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=60)
    assert (child.returncode, out, err) == (1, "", "Error: interrupted\n")

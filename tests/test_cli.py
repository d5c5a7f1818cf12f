"""The `sqlml` command, run as a real process."""

from __future__ import annotations

import os
import subprocess
import sys

import duckdb


def sqlml_cli(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "sqlml.cli", *args], input=stdin, capture_output=True, text=True)


def test_command_prints_a_box_table():
    result = sqlml_cli("-c", "SELECT 1 AS n, 'x' AS s UNION ALL SELECT 22, NULL ORDER BY n")
    assert result.returncode == 0
    assert result.stdout.splitlines() == [
        "┌────┬──────┐",
        "│  n │ s    │",
        "├────┼──────┤",
        "│  1 │ x    │",
        "│ 22 │ NULL │",
        "└────┴──────┘",
    ]


def test_files_run_in_order_against_a_database_file(tmp_path):
    first, second = tmp_path / "a.sql", tmp_path / "b.sql"
    first.write_text(
        "CREATE TABLE t AS SELECT range::DOUBLE AS x, 3 * range + 1.0 AS label FROM range(30);\n"
        "CREATE MODEL m OPTIONS(model_type='linear_reg') AS SELECT * FROM t;"
    )
    second.write_text("SELECT round(predicted_label, 3) AS p FROM ML.PREDICT(MODEL m, (SELECT 2.0 AS x));")
    database = str(tmp_path / "db.duckdb")
    assert sqlml_cli(database, str(first)).returncode == 0
    result = sqlml_cli(database, str(second))
    assert result.returncode == 0 and "│ 7.0 │" in result.stdout


def test_statements_from_stdin_and_sql_file_alone(tmp_path):
    assert "│    5 │" in sqlml_cli(stdin="SELECT 2 + 3 AS five;").stdout
    script = tmp_path / "only.sql"
    script.write_text("SELECT 6 AS six;")
    assert "│   6 │" in sqlml_cli(str(script)).stdout


def test_first_error_exits_1_with_message_and_stops():
    result = sqlml_cli("-c", "SELECT 1 AS a; SELECT * FROM ML.PREDICT(MODEL missing, TABLE t); SELECT 2 AS b")
    assert result.returncode == 1
    assert "model main.missing does not exist" in result.stderr
    assert "│ a │" in result.stdout and "│ b │" not in result.stdout


def test_long_results_are_cut_with_a_footer():
    result = sqlml_cli("-c", "SELECT * FROM range(100)")
    lines = result.stdout.splitlines()
    assert lines[-1] == "100 rows (40 shown)"
    values = [line.strip("│ ") for line in lines[3:-2]]
    assert values == [str(n) for n in range(20)] + ["·"] * 3 + [str(n) for n in range(80, 100)]


def test_serve_is_dispatched_to_the_server_command(monkeypatch):
    import types

    from sqlml import cli

    seen = []
    monkeypatch.setitem(
        sys.modules, "sqlml.server.cli", types.SimpleNamespace(main=lambda args: seen.append(args) or 7)
    )
    assert cli.main(["serve", "--port", "0"]) == 7 and seen == [["--port", "0"]]


def test_unreadable_file_and_unopenable_database_are_errors_not_tracebacks(tmp_path):
    missing = sqlml_cli(str(tmp_path / "nope.sql"))
    assert (
        missing.returncode == 1
        and missing.stderr.startswith("Error: cannot read")
        and "Traceback" not in missing.stderr
    )
    bad_db = sqlml_cli(str(tmp_path / "no" / "such" / "dir" / "x.duckdb"), "-c", "SELECT 1")
    assert bad_db.returncode == 1 and bad_db.stderr.startswith("Error:") and "Traceback" not in bad_db.stderr


def test_a_file_another_process_holds_is_refused_in_sqlml_terms(tmp_path):
    """DuckDB's refusal names its own CLI's flag (-readonly parameter); sqlml names its own ways, and the truth:
    a file open for writing elsewhere cannot be opened at all, one open read-only elsewhere can be read."""
    path = str(tmp_path / "held.duckdb")
    with duckdb.connect(path) as con:
        con.execute("CREATE TABLE t AS SELECT * FROM range(5)")
    with duckdb.connect(path, read_only=True):  # this process reads it
        writing = sqlml_cli(path, "-c", "SELECT 1")
        reading = sqlml_cli("-readonly", path, "-c", "SELECT count(*) AS n FROM t")
    assert writing.returncode == 1 and "-readonly parameter" not in writing.stderr
    assert writing.stderr.startswith(f"Error: cannot open {path} for writing: another process, ")
    assert f"(PID {os.getpid()}), has it open read-only" in writing.stderr and "sqlml -readonly FILE" in writing.stderr
    assert reading.returncode == 0 and "│ 5 │" in reading.stdout, reading.stderr
    with duckdb.connect(path):  # this process writes it
        refused = sqlml_cli("-readonly", path, "-c", "SELECT 1")
    assert refused.returncode == 1
    assert (
        f"(PID {os.getpid()}), has it open for writing, and DuckDB then lets no other process open it, not even "
        "read-only" in refused.stderr
    )

"""The server's life (issue 19, item 10), as a real process: its log (PostgreSQL's line format, on stderr, no
secrets), a stop on SIGTERM that cancels running statements and exits 0, and a database file another process
holds, refused at start in sqlml's terms. Waits are on signals (a log line, a notice, the process's exit),
each bounded so that a regression fails rather than hangs."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading

import duckdb
import psycopg
import pytest

from tests.server.serving import PASSWORD, USER, dsn, free_port, server_process

# PostgreSQL's default log_line_prefix '%m [%p] ', then the level and two blanks
LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC \[(\d+)\]( \[client (\d+)\])? "
    r"(LOG|ERROR|STATEMENT|FATAL|WARNING):  \S"
)
LONG = "SELECT count(*) FROM range(100000000000) a WHERE a.range % 7 = 3"  # hours
EXIT_TIMEOUT = 60  # a generous bound on the stop: past it the test fails instead of hanging


def _levels(log: list[str]) -> list[tuple[str, str]]:
    """(level, first line of the text) of each entry, every entry checked against PostgreSQL's format (the
    further lines of a message start with a tab)."""
    entries = [line for line in log if not line.startswith("\t")]
    for line in entries:
        assert LINE.match(line), line
    return [(LINE.match(line)[4], line[LINE.match(line).end() - 1 :]) for line in entries]


def test_the_log_tells_connections_and_errors_without_secrets(database):
    password_env = {"SQLML_TEST_PASSWORD": PASSWORD}
    with server_process(database, "--user", USER, "--password-env", "SQLML_TEST_PASSWORD", env=password_env) as served:
        with psycopg.connect(dsn(served.port), application_name="reporting") as con:
            assert con.execute("SELECT count(*) FROM penguins WHERE island <> %s", ["value-17"]).fetchone() == (344,)
            with pytest.raises(psycopg.errors.UndefinedTable):
                con.execute("SELECT * FROM nope WHERE x = %s", ["value-18"])
        with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
            psycopg.connect(dsn(served.port, password="wrong-password-19"))
        served.wait_for_log(r"\[client 1\] LOG:  disconnection")
        served.wait_for_log(r'FATAL:  password authentication failed for user "analyst"')
        served.process.send_signal(signal.SIGTERM)
        assert served.process.wait(EXIT_TIMEOUT) == 0
        log = served.log()
    assert {int(LINE.match(line)[1]) for line in log if LINE.match(line)} == {served.process.pid}
    text = "\n".join(log)
    for secret in (PASSWORD, "wrong-password-19", "value-17", "value-18"):
        assert secret not in text
    levels = _levels(log)
    assert levels[0] == (
        "LOG",
        f"sqlml {__import__('sqlml').__version__} serving {database} (read-only) on 127.0.0.1:{served.port}",
    )
    assert re.fullmatch(r"connection received: host=127\.0\.0\.1 port=\d+", levels[1][1])
    assert ("LOG", "connection authorized: user=analyst database=penguins application_name=reporting") in levels
    error = levels.index(("ERROR", "Catalog Error: Table with name nope does not exist!"))
    assert levels[error + 1] == ("STATEMENT", "SELECT * FROM nope WHERE x = $1")  # the value is not logged
    assert any(
        level == "LOG"
        and re.fullmatch(
            r"disconnection: session time: 0:00:\d\d\.\d{3} user=analyst "
            r"database=penguins host=127\.0\.0\.1 port=\d+",
            message,
        )
        for level, message in levels
    )
    assert levels[-2:] == [("LOG", "received SIGTERM: shutting down"), ("LOG", "database system is shut down")]


def _cpu_seconds(pid: int) -> float:
    """The CPU time (user + system, all threads) process `pid` has used, from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _sigterm_while_running(served, con, sql: str, busy_for: float = 0.0):
    """Run `sql` on `con` in a thread and, once it runs, SIGTERM the server: the server must exit with status 0
    (bounded waits: a hang fails). The signal goes once the statement runs: `sql` starts with a statement that
    gives a notice, whose handler is called while the next statement runs (the server answers the statements
    of a query one by one; the notice would come hours later otherwise), and once the server has then used
    `busy_for` seconds of CPU (past a statement's first steps). What `sql` raised, or "finished"."""
    running = threading.Event()
    con.add_notice_handler(lambda notice: running.set())
    outcome = []

    def run() -> None:
        try:
            con.execute(sql)
            outcome.append("finished")
        except psycopg.Error as exc:
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    assert running.wait(EXIT_TIMEOUT)
    started = _cpu_seconds(served.process.pid)
    while worker.is_alive() and _cpu_seconds(served.process.pid) - started < busy_for:
        worker.join(0.05)  # polls the server's CPU time; the statement's end stops the wait too
    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(EXIT_TIMEOUT) == 0
    worker.join(EXIT_TIMEOUT)
    (got,) = outcome
    return got


@pytest.mark.parametrize("mode", ["--read-only", "--read-write"])
def test_sigterm_cancels_the_running_statement_and_exits_0(database, tmp_path, mode):
    """One client runs a statement of hours, another is idle; SIGTERM: the server cancels the statement,
    tells both clients FATAL 57P01 (PostgreSQL's fast shutdown), closes the database and exits 0."""
    copy = tmp_path / "penguins.duckdb"
    shutil.copy(database, copy)
    with server_process(copy, mode) as served:
        with (
            psycopg.connect(dsn(served.port, user="x", password=""), autocommit=True) as busy,
            psycopg.connect(dsn(served.port, user="y", password=""), autocommit=True) as idle,
        ):
            got = _sigterm_while_running(served, busy, f"SELECT * FROM ML.EVALUATE(MODEL species); {LONG}")
            assert isinstance(got, psycopg.errors.AdminShutdown) and got.sqlstate == "57P01", got
            with pytest.raises(psycopg.errors.AdminShutdown, match="terminating connection due to administrator"):
                idle.execute("SELECT 1")
        levels = _levels(served.log())
    assert levels.count(("FATAL", "terminating connection due to administrator command")) == 2
    assert levels[-1] == ("LOG", "database system is shut down")
    with duckdb.connect(str(copy), read_only=True) as con:  # closed by the server: any process may open it
        assert con.execute("SELECT count(*) FROM penguins").fetchone() == (344,)


def test_a_statement_that_does_not_stop_is_abandoned_at_the_deadline(database, tmp_path):
    """A random forest's training reports no progress, so a cancel cannot stop it (it takes about a minute):
    1.5 s after SIGTERM the server exits anyway, status 0, with a WARNING; the training's transaction is not
    committed, so the file opens with its catalog as it was. SIGTERM goes after 2 s of the server's CPU:
    reading the 100,000 rows (which a cancel does stop) takes a fraction of that."""
    copy = tmp_path / "penguins.duckdb"
    shutil.copy(database, copy)
    catalog = "SELECT model_name, version FROM sqlml.model_versions ORDER BY ALL"
    with duckdb.connect(str(copy), read_only=True) as con:
        before = con.execute(catalog).fetchall()
    with server_process(copy, "--read-write") as served:
        with psycopg.connect(dsn(served.port, user="x", password=""), autocommit=True) as busy:
            got = _sigterm_while_running(
                served,
                busy,
                "SELECT * FROM ML.EVALUATE(MODEL species); CREATE MODEL forest "
                "OPTIONS (model_type = 'random_forest_regressor', input_label_cols = ['y'], "
                "num_parallel_tree = 200, max_tree_depth = 20) AS SELECT random() AS x, "
                "random() AS z, random() AS y FROM range(100000)",
                busy_for=2.0,
            )
            assert isinstance(got, psycopg.OperationalError), got  # the connection is gone
        levels = _levels(served.log())
    assert levels[-2] == ("LOG", "received SIGTERM: shutting down")
    assert levels[-1] == (
        "WARNING",
        "1 client(s) still running 1.5 s after their statements were cancelled: "
        "exiting without waiting for them (their transactions are not committed)",
    )
    with duckdb.connect(str(copy), read_only=True) as con:
        assert con.execute(catalog).fetchall() == before


def test_a_log_nobody_reads_does_not_keep_the_server_running(database):
    """With its standard error gone (a closed terminal, a broken log pipe), the server still serves and
    still stops on SIGTERM."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "sqlml.server.cli", str(database), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout.readline().startswith("sqlml serving ")
        process.stderr.close()
        with psycopg.connect(dsn(port, user="x", password=""), autocommit=True) as con:
            assert con.execute("SELECT count(*) FROM penguins").fetchone() == (344,)
        process.send_signal(signal.SIGTERM)
        assert process.wait(EXIT_TIMEOUT) == 0
    finally:
        process.kill()
        process.wait(EXIT_TIMEOUT)


# -- a file another process holds ---------------------------------------------------------------------------
def _serve_refused(database, *args: str) -> subprocess.CompletedProcess:
    """`sqlml serve database args...` expected to stop at start; it must not listen (no 'sqlml serving')."""
    run = subprocess.run(
        [sys.executable, "-m", "sqlml.server.cli", str(database), "--port", str(free_port()), *args],
        capture_output=True,
        text=True,
        timeout=EXIT_TIMEOUT,
    )
    assert run.returncode == 1 and run.stdout == "", run
    (line,) = run.stderr.splitlines()
    assert LINE.match(line) and " FATAL:  cannot open " in line and "-readonly parameter" not in line, line
    return run


def test_a_file_open_for_writing_elsewhere_is_refused_at_start(database, tmp_path):
    copy = tmp_path / "penguins.duckdb"
    shutil.copy(database, copy)
    with duckdb.connect(str(copy)):  # this process writes it
        for mode in ("--read-only", "--read-write"):
            stderr = _serve_refused(copy, mode).stderr
            assert (
                f"(PID {os.getpid()}), has it open for writing, and DuckDB then lets no other process open it, "
                "not even read-only" in stderr
            )


def test_a_file_open_read_only_elsewhere_is_served_read_only_only(database, tmp_path):
    copy = tmp_path / "penguins.duckdb"
    shutil.copy(database, copy)
    with duckdb.connect(str(copy), read_only=True):  # this process reads it
        stderr = _serve_refused(copy, "--read-write").stderr
        assert f"cannot open {copy} for writing: another process, " in stderr
        assert f"(PID {os.getpid()}), has it open read-only" in stderr
        assert "sqlml serve FILE (read-only unless --read-write)" in stderr
        with server_process(copy) as served, psycopg.connect(dsn(served.port, user="x", password="")) as con:
            assert con.execute("SELECT count(*) FROM penguins").fetchone() == (344,)

"""Running the REAL server (`python -m sqlml.server.cli`) as a subprocess on a free loopback port, and its clients.

Every server started by `serve` is stopped when its block ends, whatever happened inside.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import sqlml

ROOT = Path(__file__).resolve().parents[2]
PENGUINS_CSV = ROOT / "sql_examples" / "data" / "penguins.csv"
PSQL = "/usr/bin/psql"
USER, PASSWORD = "analyst", "s3cret-pass"
START_TIMEOUT = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve(database: Path, *args: str, env: dict | None = None):
    """Run `sqlml serve database --port PORT args...` until the block ends; yields the port."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "sqlml.server.cli", str(database), "--port", str(port), *args],
                               env={**os.environ, **(env or {})}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited with {process.returncode}: {process.stderr.read()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the server did not start listening in time") from None
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def make_database(path: Path) -> Path:
    """A real DuckDB file: the penguins table and a logistic regression `species` trained through the DB-API."""
    with sqlml.connect(str(path)) as con:
        cur = con.cursor()
        cur.execute(f"CREATE TABLE penguins AS SELECT row_number() OVER () AS penguin_id, * "
                    f"FROM read_csv('{PENGUINS_CSV}', nullstr = 'NA')")
        cur.execute("CREATE MODEL species OPTIONS (model_type = 'logistic_reg', input_label_cols = ['species']) AS "
                    "SELECT * EXCLUDE (penguin_id) FROM penguins")
    return path


def dsn(port: int, user: str = USER, password: str = PASSWORD) -> str:
    return f"host=127.0.0.1 port={port} dbname=penguins user={user} password={password} connect_timeout=10"


def psql(port: int, *args: str, password: str = PASSWORD, user: str = USER, stdin: str | None = None):
    """Run psql against the server; the CompletedProcess."""
    return subprocess.run([PSQL, "-X", "-h", "127.0.0.1", "-p", str(port), "-U", user, "-d", "penguins", *args],
                          input=stdin, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PGPASSWORD": password, "PGCONNECT_TIMEOUT": "10"})

"""Running the REAL server (`python -m sqlml.server.cli`) as a subprocess on a free loopback port, and its clients.

Every server started by `serve` is stopped when its block ends, whatever happened inside.
"""

from __future__ import annotations

import math
import os
import re
import select
import socket
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

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


class Served:
    """A running server process: its port, and its log (stderr), read line by line as it is written (a full
    pipe would stop the server)."""

    def __init__(self, process: subprocess.Popen, port: int):
        self.process, self.port = process, port
        self.lines: list[str] = []
        self._written = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stderr:
            with self._written:
                self.lines.append(line.rstrip("\n"))
                self._written.notify_all()

    def wait_for_log(self, pattern: str, timeout: float = START_TIMEOUT) -> str:
        """The first log line matching the regex `pattern`, once written (AssertionError after `timeout` s)."""
        found = re.compile(pattern)
        with self._written:
            assert self._written.wait_for(lambda: any(map(found.search, self.lines)), timeout), self.lines
            return next(line for line in self.lines if found.search(line))

    def log(self) -> list[str]:
        """Every log line, once the process has ended."""
        self._reader.join(START_TIMEOUT)
        return list(self.lines)


@contextmanager
def server_process(database: Path, *args: str, env: dict | None = None) -> Iterator[Served]:
    """Run `sqlml serve database --port PORT args...` until the block ends (SIGTERM, then SIGKILL if it is
    still running 10 s later); yields it once it has said it listens (no connection is made to find out:
    the tests count the server's connections)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "sqlml.server.cli", str(database), "--port", str(port), *args],
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        served = Served(process, port)  # its log is read from the start: a full pipe would stop it
        ready, _, _ = select.select([process.stdout], [], [], START_TIMEOUT)
        line = process.stdout.readline() if ready else ""
        if not line.startswith("sqlml serving "):
            process.kill()
            raise RuntimeError(f"the server did not start: {line}" + "\n".join(served.log()))
        yield served
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@contextmanager
def serve(database: Path, *args: str, env: dict | None = None) -> Iterator[int]:
    """server_process(), yielding the port."""
    with server_process(database, *args, env=env) as served:
        yield served.port


def make_database(path: Path) -> Path:
    """A real DuckDB file: the penguins table and a logistic regression `species` trained through the DB-API."""
    with sqlml.connect(str(path)) as con:
        cur = con.cursor()
        cur.execute(
            f"CREATE TABLE penguins AS SELECT row_number() OVER () AS penguin_id, * "
            f"FROM read_csv('{PENGUINS_CSV}', nullstr = 'NA')"
        )
        cur.execute(
            "CREATE MODEL species OPTIONS (model_type = 'logistic_reg', input_label_cols = ['species']) AS "
            "SELECT * EXCLUDE (penguin_id) FROM penguins"
        )
    return path


def dsn(port: int, user: str = USER, password: str = PASSWORD, dbname: str = "penguins") -> str:
    """A libpq connection string; a server serves the database named by its file's stem (penguins.duckdb)."""
    return f"host=127.0.0.1 port={port} dbname={dbname} user={user} password={password} connect_timeout=10"


def psql(
    port: int,
    *args: str,
    password: str = PASSWORD,
    user: str = USER,
    stdin: str | None = None,
    dbname: str = "penguins",
):
    """Run psql against the server; the CompletedProcess."""
    return subprocess.run(
        [PSQL, "-X", "-h", "127.0.0.1", "-p", str(port), "-U", user, "-d", dbname, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PGPASSWORD": password, "PGCONNECT_TIMEOUT": "10"},
    )


def startup_packet(user: str = "x", padding: int = 0, database: str = "penguins") -> bytes:
    """A protocol 3.0 startup packet for `user` on `database`, `padding` bytes longer by a parameter."""
    body = struct.pack("!i", 196608) + b"user\0" + user.encode() + b"\0database\0" + database.encode() + b"\0"
    if padding:
        body += b"application_name\0" + b"a" * padding + b"\0"
    return struct.pack("!i", len(body) + 5) + body + b"\0"


def message(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("!i", len(body) + 4) + body


def query(sql: str) -> bytes:
    """A simple-protocol Query message."""
    return message(b"Q", sql.encode() + b"\0")


class RawClient:
    """A client speaking the wire protocol over a bare socket, for what psql and psycopg never send. Every
    read waits for the server (a reply or its close) up to `timeout` seconds, a guard against a hang."""

    def __init__(self, port: int, timeout: float = 60):
        self.port = port
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buffer = b""
        self.process_id = self.secret = None

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self, n: int) -> bool:
        while len(self.buffer) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                return False
            self.buffer += chunk
        return True

    def message(self) -> tuple[bytes, bytes] | None:
        """The server's next message (type, body), None once it has closed the connection."""
        if not self._fill(5):
            assert self.buffer == b"", self.buffer
            return None
        length = struct.unpack("!i", self.buffer[1:5])[0]
        assert self._fill(1 + length), self.buffer
        kind, body, self.buffer = self.buffer[:1], self.buffer[5 : 1 + length], self.buffer[1 + length :]
        if kind == b"K":
            self.process_id, self.secret = struct.unpack("!ii", body)
        return kind, body

    def until_ready(self) -> list[tuple[bytes, bytes]]:
        """The messages up to and including ReadyForQuery."""
        found = [self.message()]
        while found[-1] is not None and found[-1][0] != b"Z":
            found.append(self.message())
        assert found[-1] is not None, found
        return found

    def until_closed(self) -> list[tuple[bytes, bytes]]:
        """The messages until the server closes the connection."""
        found = []
        while (next_one := self.message()) is not None:
            found.append(next_one)
        return found

    def log_in(self, user: str = "x") -> RawClient:
        """Start up on a server without a password."""
        self.send(startup_packet(user))
        assert self.until_ready()[0] == (b"R", struct.pack("!i", 0))
        return self

    def cancel(self) -> None:
        """Send a CancelRequest for this client's running statement."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as other:
            other.sendall(struct.pack("!iiii", 16, 80877102, self.process_id, self.secret))

    def close(self) -> None:
        self.sock.close()


def error(found: tuple[bytes, bytes]) -> dict[str, str]:
    """The fields of an ErrorResponse by their code: S severity, C SQLSTATE, M message."""
    kind, body = found
    assert kind == b"E", found
    return {field[:1]: field[1:] for field in body.rstrip(b"\0").decode().split("\0")}


def rows(messages: list[tuple[bytes, bytes]]) -> list[list[str | None]]:
    """The text values of the DataRow messages among `messages`."""
    found = []
    for kind, body in messages:
        if kind != b"D":
            continue
        row, at = [], 2
        for _ in range(struct.unpack("!h", body[:2])[0]):
            length = struct.unpack("!i", body[at : at + 4])[0]
            row.append(None if length < 0 else body[at + 4 : at + 4 + length].decode())
            at += 4 + max(length, 0)
        found.append(row)
    return found


PREDICT_SQL = (
    "SELECT penguin_id, predicted_species, predicted_species_probs FROM ML.PREDICT(MODEL species, "
    "(SELECT * FROM penguins WHERE penguin_id <= {bound})) ORDER BY penguin_id"
)


def reference(database, sql, params=None):
    """Rows from sqlml's DB-API on the same file (read-only, beside the server)."""
    with sqlml.connect(str(database), read_only=True) as con:
        return con.execute(sql, params).fetchall()


def duck(database, sql, params=None):
    """Rows from DuckDB's own Python API on the same file."""
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(sql, params).fetchall()


def assert_predictions_equal(got, expected):
    assert len(got) == len(expected) > 0
    for (gid, glabel, gprobs), (eid, elabel, eprobs) in zip(got, expected):
        assert (gid, glabel) == (eid, elabel)
        assert [p["label"] for p in gprobs] == [p["label"] for p in eprobs]
        for g, e in zip(gprobs, eprobs):
            assert math.isclose(g["prob"], e["prob"], rel_tol=1e-12, abs_tol=1e-15)

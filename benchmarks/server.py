"""`sqlml serve`: one client's SELECT 1 while another sends texts costly to read.

    python -m benchmarks.server [--rounds 200]

Starts the real server on an empty database. Client A, a process of its own, sends over and over either
issue 14's texts (`SELECT 1 -- pg_catalog` followed by 12 KB of `a`, and `DEALLOCATE x` followed by 32,000
blanks), which the server once took seconds to read, or one query as long as the default
--max-message-bytes allows. Client B meanwhile runs `SELECT 1` `--rounds` times; its latencies (median and
worst) are printed, and B's alone as the baseline. Timing never gates CI.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import psycopg

# client A: sends its texts until it is stopped; prints a line once the first is answered
_CLIENT_A = """
import sys, psycopg
texts = {texts}
with psycopg.connect(sys.argv[1], autocommit=True) as con:
    for n in range(10**9):
        for sql in texts:
            try:
                con.execute(sql)
            except psycopg.Error:
                pass  # the DEALLOCATE is a syntax error
        if n == 0:
            print("answered", flush=True)
"""
ISSUE_14 = '["SELECT 1 -- pg_catalog" + "a" * 12_000, "DEALLOCATE x" + " " * 32_000 + "y"]'
LONGEST = '["SELECT 1 -- " + "a" * (16 * 2**20 - 64)]'  # a Query message just under the default limit


def _serve(database: Path) -> tuple[subprocess.Popen, int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "sqlml.server.cli", str(database), "--port", str(port)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout.readline().startswith("sqlml serving")  # printed once it listens
    return server, port


def _latencies(dsn: str, rounds: int) -> list[float]:
    """Milliseconds of each of `rounds` SELECT 1 on one connection."""
    found = []
    with psycopg.connect(dsn, autocommit=True) as con:
        for _ in range(rounds):
            start = time.perf_counter()
            con.execute("SELECT 1").fetchone()
            found.append((time.perf_counter() - start) * 1000)
    return found


def _beside(dsn: str, texts: str, rounds: int) -> list[float]:
    """B's latencies while client A sends `texts` (a Python list expression) over and over."""
    client = subprocess.Popen(
        [sys.executable, "-c", _CLIENT_A.format(texts=texts), dsn], stdout=subprocess.PIPE, text=True
    )
    try:
        assert client.stdout.readline() == "answered\n"  # A is under way
        return _latencies(dsn, rounds)
    finally:
        client.kill()
        client.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    rounds = parser.parse_args().rounds
    with tempfile.TemporaryDirectory() as scratch:
        database = Path(scratch) / "empty.duckdb"
        duckdb.connect(str(database)).close()
        server, port = _serve(database)
        try:
            dsn = f"host=127.0.0.1 port={port} user=bench dbname=empty"
            found = {
                "alone": _latencies(dsn, rounds),
                "beside issue 14's texts": _beside(dsn, ISSUE_14, rounds),
                "beside a 16 MiB query": _beside(dsn, LONGEST, rounds),
            }
        finally:
            server.terminate()
            server.wait(10)
    for label, latencies in found.items():
        print(f"SELECT 1 {label:24s} median {statistics.median(latencies):8.2f} ms   worst {max(latencies):8.2f} ms")
    print(f"({rounds} rounds each; python {sys.version.split()[0]}, {os.cpu_count()} cpus)")


if __name__ == "__main__":
    main()

"""`sqlml serve`: one client's SELECT 1 while another sends texts the server once took seconds to read.

    python -m benchmarks.server [--rounds 30]

Starts the real server on an empty database. Client A sends, over and over, issue 14's texts: `SELECT 1 --
pg_catalog` followed by 12 KB of `a`, and `DEALLOCATE x` followed by 32,000 blanks. Client B meanwhile runs
`SELECT 1` `--rounds` times; its latencies (median and worst) are printed, and B's alone as the baseline.
Timing never gates CI.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import duckdb
import psycopg

HOSTILE = ["SELECT 1 -- pg_catalog" + "a" * 12_000, "DEALLOCATE x" + " " * 32_000 + "y"]


def _serve(database: Path) -> tuple[subprocess.Popen, int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "sqlml.server.cli", str(database), "--port", str(port)],
                              stdout=subprocess.PIPE, text=True)
    assert "sqlml serving" in server.stdout.readline()  # printed once it listens
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


def _hostile_client(dsn: str, stop: threading.Event, sent: list[int]) -> None:
    with psycopg.connect(dsn, autocommit=True) as con:
        while not stop.is_set():
            for sql in HOSTILE:
                try:
                    con.execute(sql)
                except psycopg.Error:
                    pass  # the DEALLOCATE is a syntax error
                sent[0] += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    rounds = parser.parse_args().rounds
    with tempfile.TemporaryDirectory() as scratch:
        database = Path(scratch) / "empty.duckdb"
        duckdb.connect(str(database)).close()
        server, port = _serve(database)
        try:
            dsn = f"host=127.0.0.1 port={port} user=bench dbname=empty"
            alone = _latencies(dsn, rounds)
            stop, sent = threading.Event(), [0]
            hostile = threading.Thread(target=_hostile_client, args=(dsn, stop, sent))
            hostile.start()
            while sent[0] == 0 and hostile.is_alive():  # A's first text answered: A is under way
                time.sleep(0.01)
            beside = _latencies(dsn, rounds)
            stop.set()
            hostile.join()
        finally:
            server.terminate()
            server.wait(10)
    for label, found in [("SELECT 1 alone", alone), ("SELECT 1 beside the hostile client", beside)]:
        print(f"{label:36s} median {statistics.median(found):8.2f} ms   worst {max(found):8.2f} ms")
    print(f"hostile texts answered meanwhile: {sent[0]}   (python {sys.version.split()[0]}, {os.cpu_count()} cpus)")


if __name__ == "__main__":
    main()

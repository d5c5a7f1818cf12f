"""A throwaway PostgreSQL server for the export tests: the Debian package's initdb and pg_ctl, a fresh data
directory, listening only on a Unix socket in that directory; run as the `postgres` user when the tests run as
root (initdb refuses root)."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator

import psycopg


def _binary(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))), None)
    assert found, f"PostgreSQL's {name} is not installed (apt-get install postgresql)"
    return found


@contextlib.contextmanager
def postgres_server() -> Iterator[psycopg.Connection]:
    """An autocommit connection to a new server, stopped and removed afterwards."""
    folder = tempfile.mkdtemp(prefix="sqlml_pg_")  # in /tmp: the postgres user must reach it
    run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if run_as:
        shutil.chown(folder, "postgres")
    data = os.path.join(folder, "data")
    ctl = [*run_as, _binary("pg_ctl"), "-D", data]
    try:
        subprocess.run(
            [*run_as, _binary("initdb"), "-D", data, "-A", "trust", "-U", "sqlml"], check=True, capture_output=True
        )
        options = f"-k {folder} -c listen_addresses=''"
        subprocess.run(
            [*ctl, "-o", options, "-l", os.path.join(folder, "log"), "-w", "start"], check=True, capture_output=True
        )
        with psycopg.connect(host=folder, user="sqlml", dbname="postgres", autocommit=True) as con:
            yield con
    finally:
        subprocess.run([*ctl, "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)

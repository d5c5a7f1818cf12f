"""`sqlml serve --cluster`: the server's one Session has the cluster every client shares; a client sees it with
SHOW sqlml_cluster and may not change it (SQLSTATE 42501, naming `sqlml serve --cluster`). Real servers, psql
and psycopg; the cluster is never reached (nothing here trains on it)."""

from __future__ import annotations

import subprocess
import sys

import psycopg
import pytest

from tests.server.serving import dsn, free_port, psql, serve

SCHEDULER = "tcp://127.0.0.1:8786"


@pytest.fixture(scope="module")
def cluster_server(database, tmp_path_factory):
    """Read-only, no password, a cluster that is never reached; yields (port, staging directory)."""
    staging = tmp_path_factory.mktemp("staging")
    with serve(database, "--cluster", SCHEDULER, "--cluster-dir", str(staging)) as port:
        yield port, str(staging)


def connect(port: int) -> psycopg.Connection:
    return psycopg.connect(dsn(port, user="anyone", password=""), autocommit=True)


def test_clients_see_the_servers_cluster(cluster_server):
    port, staging = cluster_server
    done = psql(port, "-At", "-c", "SHOW sqlml_cluster; SHOW sqlml_cluster_dir", user="anyone")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [SCHEDULER, staging]


@pytest.mark.parametrize(
    "change",
    [
        "SET sqlml_cluster = 'local'",
        "set session sqlml_cluster to local",
        "RESET sqlml_cluster",
        "SET sqlml_cluster_dir = '/tmp'",
        "-- a comment first\nRESET sqlml_cluster_dir;",
    ],
)
def test_a_client_may_not_change_the_shared_cluster(cluster_server, change):
    port, staging = cluster_server
    with connect(port) as con:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="sqlml serve DATABASE --cluster"):
            con.execute(change)
        assert con.execute("SHOW sqlml_cluster").fetchall() == [(SCHEDULER,)]
        assert con.execute("SHOW sqlml_cluster_dir").fetchall() == [(staging,)]
        con.execute("SET sqlml_dialect = 'bigquery'")  # a client's own setting still changes
        assert con.execute("SHOW sqlml_dialect").fetchall() == [("bigquery",)]
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="sqlml serve DATABASE --cluster"):
            con.execute(change)  # in either dialect


@pytest.mark.parametrize(
    ("flags", "wrong"),
    [
        (["--cluster", "spark://h:7077"], "neither 'local' nor a Dask scheduler address"),
        (["--cluster", SCHEDULER], "give cluster_dir"),
        (["--cluster-dir", "/tmp"], "--cluster-dir goes with --cluster"),
    ],
)
def test_a_bad_cluster_flag_is_a_usage_error(database, flags, wrong):
    done = subprocess.run(
        [sys.executable, "-m", "sqlml.server.cli", str(database), "--port", str(free_port()), *flags],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "usage: sqlml serve" in done.stderr and wrong in done.stderr, done.stderr

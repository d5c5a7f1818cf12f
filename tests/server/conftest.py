"""Fixtures: a real DuckDB file with a trained model, and real servers on it (stopped when the fixture ends)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.server.serving import PASSWORD, PSQL, USER, make_database, serve


@pytest.fixture(scope="session")
def database(tmp_path_factory) -> Path:
    assert os.path.exists(PSQL), "psql (Debian's postgresql-client) is needed at /usr/bin/psql"
    return make_database(tmp_path_factory.mktemp("served") / "penguins.duckdb")


@pytest.fixture(scope="session")
def export_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("exports")


@pytest.fixture(scope="session")
def server(database, export_dir):
    """Read-only (the default), with a password, EXPORT MODEL allowed inside export_dir; yields the port."""
    with serve(
        database,
        "--user",
        USER,
        "--password-env",
        "SQLML_TEST_PASSWORD",
        "--export-dir",
        str(export_dir),
        env={"SQLML_TEST_PASSWORD": PASSWORD},
    ) as port:
        yield port


@pytest.fixture(scope="module")
def open_server(database):
    """Read-only, no password (loopback only), no --export-dir; yields the port."""
    with serve(database) as port:
        yield port

"""A real Dask cluster for the tests: LocalCluster(n_workers=2, threads_per_worker=1, processes=True) over
loopback, started once per test session and reached by its scheduler's tcp:// address, as a remote one is."""

from __future__ import annotations

import pytest

import sqlml


@pytest.fixture(scope="session")
def scheduler():
    """The shared cluster's scheduler address (a test that kills workers starts a cluster of its own)."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1"
    ) as cluster:
        yield cluster.scheduler_address


@pytest.fixture
def cluster_con(scheduler, tmp_path):
    """A connection to a fresh in-memory database whose session uses the shared cluster, staging in tmp_path."""
    (tmp_path / "staging").mkdir()
    connection = sqlml.connect(cluster=scheduler, cluster_dir=str(tmp_path / "staging"))
    yield connection
    connection.close()

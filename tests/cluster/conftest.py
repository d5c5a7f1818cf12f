"""A real Dask cluster for the tests: LocalCluster(n_workers=2, threads_per_worker=1, processes=True) over
loopback, started once per test session and reached by its scheduler's tcp:// address, as a remote one is.

moto's S3 server on loopback stands in for S3 (a real object store cannot be reached from the tests): its
endpoint and keys are set in the environment before the cluster starts, so that the worker processes inherit
them and s3fs reads them there as in this process (botocore's AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, ...)."""

from __future__ import annotations

import os
import socket
from unittest import mock

import pytest

import sqlml


@pytest.fixture(scope="session")
def s3_endpoint():
    """moto's S3 server on a free loopback port, named by the environment of this process and the cluster's."""
    from moto.server import ThreadedMotoServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    environment = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "sqlml-test",
        "AWS_SECRET_ACCESS_KEY": "sqlml-test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    with mock.patch.dict(os.environ, environment):
        yield endpoint
    server.stop()


@pytest.fixture(scope="session")
def scheduler(s3_endpoint):
    """The shared cluster's scheduler address (a test that kills workers starts a cluster of its own); its
    workers reach the S3 stand-in."""
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

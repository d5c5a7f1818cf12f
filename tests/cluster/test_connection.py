"""A session's cluster: given, reached on first use, and reported when it cannot be reached."""

from __future__ import annotations

import socket

import pytest

import sqlml
from sqlml.cluster import connection


def test_a_session_reaches_the_cluster_and_counts_its_workers(cluster_con):
    session = cluster_con._session
    assert session._cluster is None  # not connected before a statement needs it
    assert session.cluster().lineage() == {
        "compute": "cluster",
        "scheduler": session.cluster_setting.address,
        "workers": 2,
    }


def test_an_unreachable_scheduler_is_an_operational_error(monkeypatch):
    monkeypatch.setattr(connection, "CONNECT_TIMEOUT_S", 1)  # the error, not the wait, is what is checked
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    con = sqlml.connect(cluster=f"tcp://127.0.0.1:{port}", cluster_dir="/tmp")
    with pytest.raises(
        sqlml.OperationalError, match=f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port} within 1 s"
    ):
        con._session.cluster()


@pytest.mark.parametrize(
    ("cluster", "cluster_dir", "wrong"),
    [("spark://x:1", None, "neither 'local' nor a Dask scheduler address"), ("tcp://x:1", None, "give cluster_dir")],
)
def test_a_bad_cluster_setting_is_refused(cluster, cluster_dir, wrong):
    with pytest.raises(sqlml.ProgrammingError, match=wrong):
        sqlml.connect(cluster=cluster, cluster_dir=cluster_dir)

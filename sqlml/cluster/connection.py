"""A session's Dask cluster: a LocalCluster started for cluster='local', or a running scheduler connected to, and
the staging directory DuckDB writes the workers' inputs to."""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import TYPE_CHECKING

from sqlml.engine.compute import ClusterSetting
from sqlml.errors import OperationalError

if TYPE_CHECKING:
    from distributed import Client

CONNECT_TIMEOUT_S = 10  # a scheduler that does not answer within this is reported unreachable


class DaskCluster:
    """A connected Dask client, the LocalCluster it owns (cluster='local'), and the staging directory."""

    def __init__(self, setting: ClusterSetting, client: Client, local=None, staging: str | None = None):
        self.setting = setting
        self.client = client
        self.local = local
        self.staging = staging or setting.staging
        self._own_staging = staging is not None  # a temporary directory, removed on close

    @property
    def workers(self) -> int:
        return len(self.client.nthreads())  # asked of the scheduler (scheduler_info may answer from a cache)

    def lineage(self) -> dict:
        return {"compute": "cluster", "scheduler": self.setting.address, "workers": self.workers}

    def train(self, ctx, statement, family, options):
        from sqlml.cluster import training

        return training.train(self, ctx, statement, family, options)

    def predict(self, ctx, call, model, params, target):
        from sqlml.cluster import predict

        return predict.predict(self, ctx, call, model, params, target)

    def trials(self, family, data, eval_X, eval_y, progress):
        from sqlml.cluster import tuning

        return tuning.trials(self, family, data, eval_X, eval_y, progress)

    def candidates(self, rows, progress):
        from sqlml.cluster import automl

        return automl.candidates(self, rows, progress)

    def fit_series(self, task, options):
        from sqlml.cluster import forecasting

        return forecasting.fit_series(self, task, options)

    def close(self) -> None:
        self.client.close()
        if self.local is not None:
            self.local.close()
        if self._own_staging:
            shutil.rmtree(self.staging, ignore_errors=True)


def _dask():
    """distributed's Client and LocalCluster; a clear error when the `cluster` extra is not installed."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise OperationalError(
            f"a cluster needs Dask: pip install 'sqlml[cluster]' (importing it failed: {exc})"
        ) from None
    return Client, LocalCluster


def open_cluster(setting: ClusterSetting) -> DaskCluster:
    """Start (cluster='local') or reach the cluster; OperationalError within CONNECT_TIMEOUT_S when the scheduler
    cannot be reached."""
    Client, LocalCluster = _dask()
    if setting.address == "local":
        local = LocalCluster(
            n_workers=os.cpu_count() or 1, threads_per_worker=1, processes=True, dashboard_address=None
        )
        staging = setting.staging is None and tempfile.mkdtemp(prefix="sqlml-cluster-")
        return DaskCluster(setting, Client(local), local, staging or None)
    try:
        client = Client(setting.address, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError) as exc:
        raise OperationalError(
            f"cannot reach the Dask scheduler at {setting.address} within {CONNECT_TIMEOUT_S} s: {exc}"
        ) from None
    return DaskCluster(setting, client)

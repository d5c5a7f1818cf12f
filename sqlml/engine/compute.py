"""Where CREATE MODEL's training, tuning trials, batch prediction and many-series forecasting run: in this process,
or on a Dask cluster.

The cluster support lives above the engine (`sqlml/cluster/`); the composition root (`root.py`) registers its
opener by name, so the engine never imports it and nothing of Dask loads until a session uses a cluster. A session
holds a `ClusterSetting` (from `sqlml.connect(..., cluster=...)`, the shell's and `sqlml serve`'s `--cluster`, or
`SET sqlml_cluster = ...`) and opens the cluster on the first statement that needs it. A model asks with
OPTIONS(compute = 'AUTO' | 'CLUSTER' | 'LOCAL'): AUTO (the default) trains on the session's cluster when it has
one and the family trains there, CLUSTER requires a cluster, LOCAL stays in this process.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from sqlml.errors import NotSupportedError, ProgrammingError

if TYPE_CHECKING:
    from collections.abc import Callable
    from concurrent.futures import Future
    from contextlib import AbstractContextManager

    import numpy as np

    from sqlml.engine.batch_predict import Target
    from sqlml.engine.context import MLContext
    from sqlml.engine.families.base import Family, TrainData
    from sqlml.engine.progress import Progress
    from sqlml.engine.store.catalog import ModelVersion
    from sqlml.engine.store.model import Model
    from sqlml.parser import CreateModel, MLFunction

SETTING = "sqlml_cluster"
SCHEMES = ("tcp://", "tls://", "inproc://", "ucx://", "ws://", "wss://")


@dataclass(frozen=True)
class ClusterSetting:
    """Which cluster a session uses. `address` is 'local' (a LocalCluster of one single-threaded worker process
    per core, started on first use) or a Dask scheduler's address; `staging` is a directory DuckDB and every worker
    read and write at the same path, or an object-store URL (s3://bucket/prefix: any protocol with an fsspec
    implementation installed), where training data and predictions are staged (None: a temporary directory, which
    only a cluster on this machine can read)."""

    address: str
    staging: str | None = None

    @classmethod
    def of(cls, address: object, staging: object = None) -> ClusterSetting:
        """A checked setting; ProgrammingError naming what is wrong."""
        if not isinstance(address, str) or not (address == "local" or address.startswith(SCHEMES)):
            raise ProgrammingError(
                f"cluster: {address!r} is neither 'local' nor a Dask scheduler address "
                f"({', '.join(s + 'host:port' for s in SCHEMES[:2])}, ...)"
            )
        if staging is not None and (not isinstance(staging, str) or not staging):
            raise ProgrammingError(f"cluster_dir: {staging!r} is not a directory path")
        if isinstance(staging, str) and "://" in staging:
            _check_protocol(staging)
        if staging is None and address != "local":
            raise ProgrammingError(
                f"cluster {address}: give cluster_dir (sqlml.connect's cluster_dir=, --cluster-dir, or SET "
                f"{SETTING}_dir = '...' before SET {SETTING}), a directory that DuckDB and every "
                "worker can read and write; a temporary directory of this machine serves only cluster='local'"
            )
        return cls(address, staging)


def _check_protocol(url: str) -> None:
    """NotSupportedError unless an fsspec implementation of the URL's protocol is installed (sqlml/cluster/storage.py
    stages through it)."""
    protocol = url.split("://", 1)[0]
    try:
        import fsspec

        fsspec.get_filesystem_class(protocol)
    except (ImportError, ValueError) as exc:
        raise NotSupportedError(
            f"cluster_dir: {url!r}: no fsspec filesystem of {protocol}:// is installed ({exc}); stage on a local "
            "or shared filesystem path, or install the protocol's fsspec package (s3fs for s3://, gcsfs for gs://)"
        ) from None


class Cluster(Protocol):
    """What the cluster layer gives the engine (sqlml/cluster/connection.py)."""

    @property
    def workers(self) -> int:
        """How many workers the cluster has now."""

    def lineage(self) -> dict:
        """What a version trained there records: {"compute": "cluster", "scheduler": ..., "workers": n}."""

    def train(self, ctx: MLContext, statement: CreateModel, family: Family, options: dict) -> ModelVersion:
        """CREATE MODEL of a family with a `cluster_trainer`, trained on the workers."""

    def predict(self, ctx: MLContext, call: MLFunction, model: Model, params: dict, target: Target) -> int | None:
        """COPY or CREATE TABLE ... AS of ML.PREDICT (engine/batch_predict.py) scored on the workers: the rows
        written, or None when the model or input cannot be scored there (a notice says why; it runs here)."""

    def trials(
        self, family: Family, data: TrainData, eval_X: np.ndarray, eval_y: np.ndarray | None, progress: Progress
    ) -> AbstractContextManager[Callable[[dict], tuple]]:
        """Tuning on the workers (sqlml/cluster/tuning.py): `data` shipped to them once; what it gives trains one
        trial's options on a worker, returning (estimator, metrics, evaluation scores, history, where and when
        it ran); cancelled with `progress`."""

    def candidates(self, rows: dict, progress: Progress) -> AbstractContextManager[Callable[..., tuple]]:
        """AutoML on the workers (sqlml/cluster/automl.py): the encoded `rows` shipped to them once; what it gives
        cross-validates one candidate (model_type, options, metric, seed) on a worker, returning (objective, mean
        metrics, where and when it ran); cancelled with `progress`."""

    def fit_series(self, task: bytes, options: str) -> Future:
        """A group of series (engine/forecasting/workers.py's pack) fitted on a worker by workers.fit_chunk: a future
        of its stored rows (Arrow IPC bytes); cancel() drops it."""

    def close(self) -> None: ...


_opener: list[str] = []  # "module:function" (ClusterSetting) -> Cluster, registered by the root


def register(opener: str) -> None:
    """Set what opens a cluster (root.py)."""
    _opener[:] = [opener]


def open_cluster(setting: ClusterSetting) -> Cluster:
    """The cluster of `setting`, connected (its layer imported now)."""
    module, function = _opener[0].split(":")
    return getattr(importlib.import_module(module), function)(setting)


def wanted(options: dict, has_cluster: bool, family: Family) -> str | None:
    """Where a CREATE MODEL with `options` trains: "cluster", "trials" (tuned, or AutoML: the rows prepared here,
    the trials or candidates trained on the workers), "local" with the reason a cluster was passed over, or None (in this process, as
    always); ProgrammingError when compute='CLUSTER' has no cluster."""
    asked = options.get("compute", "AUTO")
    if asked == "LOCAL" or (asked == "AUTO" and not has_cluster):
        return None
    if not has_cluster:
        raise ProgrammingError(
            "OPTIONS: compute='CLUSTER' needs a cluster: sqlml.connect(..., cluster=...), the shell's or "
            f"`sqlml serve`'s --cluster, or SET {SETTING} = 'local' | 'tcp://host:port'"
        )
    if (options.get("num_trials", 1) > 1 and family.fit is not None) or family.search is not None:
        return "trials"
    if family.cluster_trainer is None:
        return "local"
    return "cluster"


def kept_local(where: str | None, family: Family) -> dict | None:
    """The lineage of a version trained in this process when a cluster was passed over (`where` "local": the
    family trains in one process), else None."""
    return where and {"compute": "local", "reason": f"{family.model_type} trains in one process"}


def described(lineage: dict | None) -> str:
    """Where a version trained, as DESCRIBE MODEL and ML.MODEL_CARD say it."""
    if lineage is None:
        return "local"
    if lineage["compute"] == "cluster":
        return f"cluster {lineage['scheduler']}: {lineage['workers']} workers"
    return f"local ({lineage['reason']})"

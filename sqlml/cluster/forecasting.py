"""Many-series forecasting on the cluster: CREATE MODEL of ARIMA_PLUS / ARIMA_PLUS_XREG reads its series in id and
time order on the coordinator (engine/forecasting/training.py) and hands each group of them to a Dask task, a few
groups ahead of the results. The task runs the function the local worker processes run (workers.fit_chunk): a
group in as Arrow IPC bytes with the options as JSON text, its stored rows out as Arrow IPC bytes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlml.engine.forecasting import workers
from sqlml.errors import OperationalError

if TYPE_CHECKING:
    from distributed import Future

    from sqlml.cluster.connection import DaskCluster


class Group:
    """A group of series submitted to the cluster; what failed there is an OperationalError."""

    def __init__(self, future: Future):
        self.future = future

    def result(self) -> bytes:
        try:
            return self.future.result()
        except Exception as exc:  # a worker lost more often than Dask retries, a task that raised
            raise OperationalError(
                f"fitting a group of series on the cluster failed ({type(exc).__name__}: {exc}); the model was not "
                "changed, run the statement again"
            ) from None

    def cancel(self) -> None:
        self.future.cancel()


def fit_series(cluster: DaskCluster, task: bytes, options: str) -> Group:
    """`task` (workers.pack's group of series) fitted by workers.fit_chunk on one of the cluster's workers."""
    return Group(cluster.client.submit(workers.fit_chunk, task, options, pure=False))

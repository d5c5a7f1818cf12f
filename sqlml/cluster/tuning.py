"""Tuning on the cluster: the trials of a CREATE MODEL with num_trials > 1 train on the workers, at most
max_parallel_trials at once (engine/training/tuning.py's threads each wait for the trial they started there).

The coordinator prepares and encodes the rows as for a training in this process; the encoded arrays (and a warm
start's model, as its artifact) are shipped to every worker once (scattered, broadcast). A trial is one task running
the family's `fit` on a worker (create_model.train_once) and returning plain data: the model's artifact bytes, its
metrics, evaluation scores and history, and where and when it ran. The coordinator rebuilds the model with the
family's `load`. A trial whose training raises sqlml's Error (sent back as its class name and message) fails as it
does in this process; a trial whose worker died (after Dask's own retries) fails with an OperationalError;
cancelling the statement cancels the trials running on the workers. `on_workers` (the rows shipped once, a
task per call, errors and cancellation as above) serves AutoML's candidates too (cluster/automl.py)."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from sqlml import errors
from sqlml.errors import Cancelled, Error, OperationalError

if TYPE_CHECKING:
    import numpy as np

    from sqlml.cluster.connection import DaskCluster
    from sqlml.engine.families.base import Family, TrainData
    from sqlml.engine.progress import Progress

# what a worker needs of TrainData besides the trial's options (the warm-start model goes as its artifact)
SHIPPED = ("X", "y", "n_classes", "weights", "X_eval", "y_eval", "categorical_indices", "category_blocks", "X_init")


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat()


def _task(run: Callable[..., dict], *args) -> dict:
    """On a worker: `run(*args)` (a module-level function returning plain data), with where and when it ran; a
    raised sqlml Error as its class name and message."""
    from distributed import get_worker

    started = _now()
    try:
        outcome = run(*args)
    except Error as exc:  # a failed trial, as in this process: its error class and message
        return {"error": (type(exc).__name__, str(exc))}
    return outcome | {"ran": {"worker": get_worker().address, "started": started, "ended": _now()}}


def _trial(shipped: dict, model_type: str, options: dict) -> dict:
    """On a worker: one trial of the registry's `model_type` with `options` on the shipped rows, as plain data."""
    from sqlml.engine.families import FAMILIES, TrainData
    from sqlml.engine.training.create_model import train_once

    family, rows = FAMILIES[model_type], dict(shipped)
    eval_X, eval_y, init = rows.pop("eval_X"), rows.pop("eval_y"), rows.pop("init")
    data = TrainData(**rows, options=options, init=init and family.load(init, rows["n_classes"]))
    estimator, metrics, scores, history = train_once(family, data, eval_X, eval_y)
    return {"artifact": estimator.artifact(), "metrics": metrics, "scores": scores, "history": history}


def _outcome(remote, progress: Progress) -> dict:
    """The trial's result; Cancelled when the statement cancelled it, OperationalError when its worker died."""
    from distributed import KilledWorker
    from distributed.client import FutureCancelledError

    with progress.stopping(remote.cancel):
        try:
            return remote.result()
        except FutureCancelledError:
            if progress.cancelled.is_set():
                raise Cancelled("the statement was cancelled") from None
            raise
        except KilledWorker as exc:
            raise OperationalError(f"the worker running this trial died: {exc}") from None


@contextmanager
def on_workers(cluster: DaskCluster, payload: dict, progress: Progress) -> Iterator[Callable[..., dict]]:
    """While open, `payload` is on every worker (scattered once, broadcast), and the function given runs a
    module-level `run(payload, *args)` there as one task: its plain-data outcome with "ran" ({"worker", "started",
    "ended"}); a sqlml Error raised there is raised here, Cancelled when `progress` is cancelled."""
    client = cluster.client
    [shipped] = client.scatter([payload], broadcast=True, hash=False)

    def run(function: Callable[..., dict], *args) -> dict:
        outcome = _outcome(client.submit(_task, function, shipped, *args, pure=False), progress)
        if "error" in outcome:
            name, message = outcome["error"]
            raise getattr(errors, name, errors.Error)(message)
        return outcome

    try:
        yield run
    finally:
        shipped.release()


@contextmanager
def trials(
    cluster: DaskCluster,
    family: Family,
    data: TrainData,
    eval_X: np.ndarray,
    eval_y: np.ndarray | None,
    progress: Progress,
) -> Iterator[Callable[[dict], tuple]]:
    """While open, `data` and the evaluation rows are on every worker, and the function given trains a trial's
    options on one: (estimator, metrics, evaluation scores, history, {"worker", "started", "ended"})."""
    payload = {name: getattr(data, name) for name in SHIPPED} | {
        "eval_X": eval_X,
        "eval_y": eval_y,
        "init": None if data.init is None else data.init.artifact(),
    }
    with on_workers(cluster, payload, progress) as run:

        def train(options: dict) -> tuple:
            outcome = run(_trial, family.model_type, options)
            estimator = family.load(outcome["artifact"], data.n_classes)
            return estimator, outcome["metrics"], outcome["scores"], outcome["history"], outcome["ran"]

        yield train

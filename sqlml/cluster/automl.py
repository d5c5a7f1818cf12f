"""AutoML on the cluster: the candidates' cross-validations run on the workers, as many at once as the cluster has
workers (engine/training/automl.py's search launches them, within its budget rule).

The coordinator encodes the training rows both ways a candidate reads them (one-hot for linear families, categories
for trees) and ships them to every worker once (tuning.py's `on_workers`); a candidate is one task cross-validating
its family with its options there (automl.cross_validate) and returning plain data: the objective, the metrics
averaged over the folds, and where and when it ran."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from sqlml.cluster.tuning import on_workers

if TYPE_CHECKING:
    from sqlml.cluster.connection import DaskCluster
    from sqlml.engine.progress import Progress


def _candidate(rows: dict, model_type: str, options: dict, metric: str, seed: int) -> dict:
    """On a worker: one candidate's cross-validation on the shipped rows, as plain data."""
    from sqlml.engine.families import FAMILIES
    from sqlml.engine.training.automl import cross_validate

    score, means = cross_validate(FAMILIES[model_type], options, rows, metric, seed)
    return {"score": score, "means": means}


@contextmanager
def candidates(cluster: DaskCluster, rows: dict, progress: Progress) -> Iterator[Callable[..., tuple]]:
    """While open, `rows` (automl.search's encoded rows) are on every worker, and the function given
    cross-validates a candidate (model_type, options, metric, seed) on one: (objective, mean metrics, where and
    when it ran)."""
    with on_workers(cluster, rows, progress) as run:

        def cross_validate(model_type: str, options: dict, metric: str, seed: int) -> tuple:
            outcome = run(_candidate, model_type, options, metric, seed)
            return outcome["score"], outcome["means"], outcome["ran"]

        yield cross_validate

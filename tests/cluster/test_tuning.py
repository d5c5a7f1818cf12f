"""Tuning on the cluster: a CREATE MODEL's num_trials trials train on the workers, max_parallel_trials at once.

The reference is the same statement with compute='LOCAL' (the trials in threads of this process, checked against
scikit-learn and LightGBM in tests/engine/test_tuning.py): RANDOM_SEARCH and GRID_SEARCH draw the same
hyperparameters in trial order for a seed, and LightGBM (deterministic=True), k-means and the linear solvers
train the same model on the same rows, so every ML.TRIAL_INFO row is the same (its figures up to floating-point
summation order: Dask runs its workers' OpenMP on one thread, LightGBM here on every core). Concurrency is read from the
trials' recorded start and end times (the version's compute lineage), never from durations.
https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-trial-info
"""

from __future__ import annotations

import pytest

import sqlml
from sqlml.errors import Cancelled
from tests.cluster.trials import intervals as _intervals
from tests.cluster.trials import lineage as _lineage
from tests.cluster.trials import rows as _rows
from tests.cluster.trials import table

TABLE = table(4000)
TUNED_TREES = (
    "model_type='boosted_tree_classifier', input_label_cols=['label'], max_iterations=15, "
    "num_trials=4, max_parallel_trials={parallel}, hparam_tuning_algorithm='RANDOM_SEARCH', seed=3, "
    "learn_rate=HPARAM_RANGE(0.05, 0.5), max_tree_depth=HPARAM_CANDIDATES([3, 5, 7])"
)
TRIAL_INFO = (
    "SELECT trial_id, hyperparameters, hparam_tuning_evaluation_metrics, training_loss, eval_loss, status, "
    "error_message, is_optimal FROM ML.TRIAL_INFO(MODEL {model}) ORDER BY trial_id"
)


@pytest.fixture
def con(cluster_con):
    cluster_con.cursor().execute(TABLE)
    return cluster_con


def _leaves(value) -> list:
    """The values of nested rows, lists and dicts (with their keys), in order."""
    if isinstance(value, dict):
        return [leaf for key in sorted(value) for leaf in (key, *_leaves(value[key]))]
    if isinstance(value, (list, tuple)):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value]


def _same(cluster_rows: list[tuple], local_rows: list[tuple]) -> bool:
    """Whether two results agree: floats to 1e-9 relative, everything else (keys, ids, status, flags) exactly."""
    ours, theirs = _leaves(cluster_rows), _leaves(local_rows)
    return len(ours) == len(theirs) and all(
        a == pytest.approx(b, rel=1e-9) if isinstance(b, float) else a == b for a, b in zip(ours, theirs)
    )


def _overlapping(intervals) -> bool:
    """Whether some two trials ran at the same time: one started before the other ended, and the other
    before the one ended."""
    return any(a[0] < b[1] and b[0] < a[1] for i, a in enumerate(intervals) for b in intervals[i + 1 :])


def _tuned(con, model: str, options: str, query: str) -> None:
    con.cursor().execute(f"CREATE MODEL {model} OPTIONS({options}) AS {query}")


def test_trials_run_concurrently_on_the_workers_and_equal_the_local_trials(con):
    # trials long enough (30,000 rows) that the two started together overlap however busy the machine is: both
    # are handed out at once, and a worker starts a task within a scheduler round trip
    con.cursor().execute(table(30_000))
    query = "SELECT x1, x2, c, label FROM t"
    _tuned(con, "on_cluster", TUNED_TREES.format(parallel=2), query)
    _tuned(con, "here", TUNED_TREES.format(parallel=2) + ", compute='LOCAL'", query)

    on_cluster, here = _rows(con, TRIAL_INFO.format(model="on_cluster")), _rows(con, TRIAL_INFO.format(model="here"))
    assert [row[0] for row in on_cluster] == [1, 2, 3, 4]
    assert _same(on_cluster, here)  # hyperparameters, metrics, losses, status and is_optimal
    assert sum(row[-1] for row in on_cluster) == 1
    predict = "SELECT predicted_label, predicted_label_probs FROM ML.PREDICT(MODEL {}, TABLE t) ORDER BY i"
    assert _same(_rows(con, predict.format("on_cluster")), _rows(con, predict.format("here")))

    lineage = _lineage(con, "on_cluster")
    assert {k: lineage[k] for k in ("compute", "workers", "trials_on")} == {
        "compute": "cluster",
        "workers": 2,
        "trials_on": "workers",
    }
    assert [trial["trial_id"] for trial in lineage["trials"]] == [1, 2, 3, 4]
    assert _overlapping(_intervals(lineage))
    assert _lineage(con, "here") is None  # compute='LOCAL': in this process, the cluster not asked


def test_one_trial_at_a_time_never_overlaps(con):
    _tuned(con, "serial", TUNED_TREES.format(parallel=1), "SELECT x1, x2, c, label FROM t")
    intervals = sorted(_intervals(_lineage(con, "serial")))
    assert len(intervals) == 4
    assert all(earlier[1] <= later[0] for earlier, later in zip(intervals, intervals[1:]))


@pytest.mark.parametrize(
    ("options", "query"),
    [  # k-means on 6 rows: num_clusters 7 to 10 fail, and at 6 the objective is undefined (5 FAILED, as locally)
        (
            "model_type='kmeans', num_trials=9, max_parallel_trials=3, hparam_tuning_algorithm='GRID_SEARCH'",
            "SELECT x1, x2 FROM t WHERE i < 6",
        ),
        (
            "model_type='linear_reg', input_label_cols=['target'], num_trials=3, max_parallel_trials=2, "
            "hparam_tuning_algorithm='RANDOM_SEARCH', l2_reg=HPARAM_RANGE(0.1, 10.0)",
            "SELECT x1, x2, c, target FROM t",
        ),
    ],
)
def test_other_families_tune_on_the_cluster_as_locally(con, options, query):
    _tuned(con, "on_cluster", options, query)
    _tuned(con, "here", options + ", compute='LOCAL'", query)
    on_cluster = _rows(con, TRIAL_INFO.format(model="on_cluster"))
    assert _same(on_cluster, _rows(con, TRIAL_INFO.format(model="here")))
    failed = [row for row in on_cluster if row[5] == "FAILED"]
    assert (len(failed), all(row[6] for row in failed)) == ((5, True) if "kmeans" in options else (0, True))
    lineage = _lineage(con, "on_cluster")
    succeeded = [row[0] for row in on_cluster if row[5] == "SUCCEEDED"]
    assert (lineage["trials_on"], [trial["trial_id"] for trial in lineage["trials"]]) == ("workers", succeeded)


def test_a_warm_start_tunes_on_the_cluster_from_the_model_it_continues(con):
    first = "model_type='boosted_tree_regressor', input_label_cols=['target'], max_iterations=5"
    tuned = (
        first + ", warm_start=TRUE, num_trials=2, hparam_tuning_algorithm='RANDOM_SEARCH', l2_reg=HPARAM_RANGE(0, 5)"
    )
    for model, where in (("on_cluster", ""), ("here", ", compute='LOCAL'")):
        _tuned(con, model, first + ", compute='LOCAL'", "SELECT x1, x2, target FROM t WHERE i < 2000")
        con.cursor().execute(f"CREATE OR REPLACE MODEL {model} OPTIONS({tuned}{where}) AS SELECT x1, x2, target FROM t")
    assert _same(_rows(con, TRIAL_INFO.format(model="on_cluster")), _rows(con, TRIAL_INFO.format(model="here")))
    info = "SELECT training_run, iteration, loss FROM ML.TRAINING_INFO(MODEL {}) ORDER BY training_run, iteration"
    assert _same(_rows(con, info.format("on_cluster")), _rows(con, info.format("here")))


def test_an_interrupted_search_cancels_its_trials_and_the_cluster_serves_the_next(con):
    session, cur = con._session, con._session.cursor()
    statement = f"CREATE MODEL m OPTIONS({TUNED_TREES.format(parallel=2)}) AS SELECT x1, x2, c, label FROM t"
    session.on_progress = lambda task, done, total: task == "tuning" and cur.interrupt()  # at the first trial's end
    with pytest.raises(Cancelled, match="cancelled"):
        cur.execute(statement)
    assert _rows(con, "SHOW MODELS") == []

    session.on_progress = None
    cur.execute(statement)
    assert len(_rows(con, TRIAL_INFO.format(model="m"))) == 4


def test_compute_local_tunes_without_the_cluster(cluster_con):
    cluster_con.cursor().execute(TABLE)
    _tuned(cluster_con, "here", TUNED_TREES.format(parallel=2) + ", compute='LOCAL'", "SELECT x1, x2, label FROM t")
    assert cluster_con._session._cluster is None  # never connected


@pytest.mark.parametrize(
    ("compute", "error"),
    [("CLUSTER", "compute='CLUSTER' needs a cluster"), ("GPU", "compute must be one of AUTO, CLUSTER, LOCAL")],
)
def test_a_tuned_model_asking_for_a_cluster_it_cannot_have_is_refused(compute, error):
    con = sqlml.connect()  # no cluster
    con.cursor().execute(TABLE)
    with pytest.raises(sqlml.ProgrammingError, match=error):
        _tuned(con, "k", f"model_type='kmeans', num_trials=3, compute='{compute}'", "SELECT x1, x2 FROM t")
    assert _rows(con, "SHOW MODELS") == []


def test_a_trial_whose_worker_dies_fails_with_an_operational_error():
    """Its worker process exits mid-task; the scheduler (no retries allowed here) reports the worker killed."""
    import os

    import dask
    from distributed import Client, LocalCluster

    from sqlml.cluster.tuning import _outcome
    from sqlml.engine.progress import Progress

    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        with pytest.raises(sqlml.OperationalError, match="the worker running this trial died"):
            _outcome(client.submit(os._exit, 1, pure=False), Progress())

"""AutoML on the cluster: automl_classifier's candidates are cross-validated on the workers, as many at once as the
cluster has workers (BigQuery ML's AutoML takes no max_parallel_trials: its options are model_type, budget_hours,
optimization_objective, input_label_cols, data_split_col and kms_key_name,
https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-create-automl).

The references are the same statement with compute='LOCAL' (the family defaults, the first candidates, are the same
whatever the clock, and their 3-fold cross-validation the same rows) and the winning family trained in this process
with the winner's hyperparameters. Concurrency is read from the candidates' recorded start and end times (the
version's compute lineage), never from durations.
https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-trial-info
"""

from __future__ import annotations

import pytest

from sqlml.cluster.connection import DaskCluster
from tests.cluster.trials import intervals as _intervals
from tests.cluster.trials import lineage as _lineage
from tests.cluster.trials import rows as _rows
from tests.cluster.trials import table

SPLIT = "data_split_method='CUSTOM', data_split_col='is_eval', seed=4"
AUTOML = f"model_type='automl_classifier', input_label_cols=['label'], budget_hours=0.0015, {SPLIT}"
QUERY = "SELECT x1, x2, c, label, i % 5 = 0 AS is_eval FROM t"
TRIAL_INFO = "SELECT trial_id, hyperparameters, objective, status, is_optimal FROM ML.TRIAL_INFO(MODEL {})"
DEFAULTS = ["boosted_tree_classifier", "logistic_reg", "random_forest_classifier", "dnn_classifier"]


@pytest.fixture
def con(cluster_con):
    cluster_con.cursor().execute(table(600))
    return cluster_con


def _in_flight(lineage: dict) -> int:
    """The most candidates running at one moment, from their recorded (start, end) times."""
    ran = _intervals(lineage)
    return max(sum(a[0] <= b[0] < a[1] for a in ran) for b in ran)


def _set(hyperparameters: dict) -> dict:
    """A candidate's hyperparameters (ML.TRIAL_INFO's struct holds every candidate's fields, NULL when unset)."""
    return {name: value for name, value in hyperparameters.items() if value is not None}


def _literal(value) -> str:
    """A hyperparameter's value as a SQL literal."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, list):
        return "[" + ", ".join(_literal(item) for item in value) + "]"
    return repr(value)


def test_candidates_run_concurrently_on_the_workers_as_locally(con, monkeypatch):
    con.cursor().execute(f"CREATE MODEL on_cluster OPTIONS({AUTOML}) AS {QUERY}")

    def refused(*args):
        raise AssertionError("the cluster was asked")

    # compute='LOCAL' never touches the cluster: neither for the candidates nor for trials
    monkeypatch.setattr(DaskCluster, "candidates", refused)
    monkeypatch.setattr(DaskCluster, "trials", refused)
    con.cursor().execute(f"CREATE MODEL here OPTIONS({AUTOML}, compute='LOCAL') AS {QUERY}")
    assert _lineage(con, "here") is None
    on_cluster = sorted(_rows(con, TRIAL_INFO.format("on_cluster")))
    here = {row[0]: row for row in _rows(con, TRIAL_INFO.format("here"))}

    assert len(on_cluster) >= 2  # the first two launched at once, before any cost is known
    assert [row[1]["model_type"] for row in on_cluster[:4]] == DEFAULTS[: len(on_cluster)]  # the defaults first
    assert all(row[3] == "SUCCEEDED" and isinstance(row[2], float) for row in on_cluster)
    common = [row for row in on_cluster[:4] if row[0] in here]
    assert len(common) >= 2  # the first two: launched in this process too unless the first took 80% of the budget
    for trial_id, hyperparameters, objective, _, _ in common:  # the same candidate cross-validated in this process
        assert _set(here[trial_id][1]) == _set(hyperparameters)
        assert objective == pytest.approx(here[trial_id][2], rel=1e-6)
    [optimal] = [row for row in on_cluster if row[4]]
    assert optimal[2] == max(row[2] for row in on_cluster)

    lineage = _lineage(con, "on_cluster")
    assert {k: lineage[k] for k in ("compute", "workers", "trials_on")} == {
        "compute": "cluster",
        "workers": 2,
        "trials_on": "workers",
    }
    assert [trial["trial_id"] for trial in lineage["trials"]] == [row[0] for row in on_cluster]
    assert _in_flight(lineage) == 2  # two candidates at once, never more than the workers
    assert len({trial["worker"] for trial in lineage["trials"]}) == 2

    # the winner: its family trained in this process with its hyperparameters predicts the same
    winner = _set(optimal[1])
    family = winner.pop("model_type")
    given = "".join(f", {name}={_literal(value)}" for name, value in winner.items())
    con.cursor().execute(
        f"CREATE MODEL reference OPTIONS(model_type='{family}', input_label_cols=['label'], {SPLIT}, "
        f"compute='LOCAL'{given}) AS {QUERY}"
    )
    [(estimator_type,)] = _rows(con, "SELECT estimator_type FROM sqlml.model_versions WHERE model_name = 'on_cluster'")
    assert estimator_type == family
    predict = "SELECT predicted_label, predicted_label_probs FROM ML.PREDICT(MODEL {}, TABLE t) ORDER BY i"
    ours, theirs = _rows(con, predict.format("on_cluster")), _rows(con, predict.format("reference"))
    assert [row[0] for row in ours] == [row[0] for row in theirs]
    assert [p["prob"] for row in ours for p in row[1]] == pytest.approx(
        [p["prob"] for row in theirs for p in row[1]], rel=1e-6
    )

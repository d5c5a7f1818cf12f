"""Hyperparameter tuning: trials, their objectives against scikit-learn, the optimal trial, bad input.

The split is CUSTOM on `id % 4 = 0` (evaluation rows), so each trial's objective can be recomputed with
scikit-learn from that trial's own predictions on those rows.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.metrics import (
    davies_bouldin_score,
    explained_variance_score,
    mean_absolute_error,
    mean_squared_error,
    median_absolute_error,
    r2_score,
    roc_auc_score,
)

import sqlml
from tests.engine.reference import fails, linear_matrices

SPLIT = "data_split_method='CUSTOM', data_split_col='is_eval'"
QUERY = "SELECT * EXCLUDE (id, {drop}), id % 4 = 0 AS is_eval FROM train"


def _trials(cur, model="m"):
    """(trial_id, hyperparameters, objective, status, error_message, is_optimal) of each trial; the objective
    is the one field of hparam_tuning_evaluation_metrics (NULL for a failed trial)."""
    cur.execute(
        f"SELECT trial_id, hyperparameters, hparam_tuning_evaluation_metrics, status, error_message, is_optimal "
        f"FROM ML.TRIAL_INFO(MODEL {model})"
    )
    return [(t, h, m and next(iter(m.values())), s, e, opt) for t, h, m, s, e, opt in cur.fetchall()]


def test_eight_trials_the_best_is_optimal_and_used_by_default(loaded, frames):
    train, _ = frames
    cur = loaded.cursor()
    cur.execute(
        f"CREATE MODEL m OPTIONS(model_type='boosted_tree_classifier', input_label_cols=['y_bin'], {SPLIT}, "
        "num_trials=8, learn_rate=HPARAM_RANGE(0.01, 0.5), max_tree_depth=HPARAM_CANDIDATES([1, 3, 6])) AS "
        + QUERY.format(drop="y_reg, y_multi")
    )
    trials = _trials(cur)
    assert [t[0] for t in trials] == list(range(1, 9))
    assert all(
        s == "SUCCEEDED" and 0.01 <= h["learn_rate"] <= 0.5 and h["max_tree_depth"] in (1, 3, 6)
        for _, h, _, s, _, _ in trials
    )
    evaluation = train[train["id"] % 4 == 0]
    y = (evaluation["y_bin"] == "yes").to_numpy()
    for trial_id, _, objective, *_ in trials:  # each objective: roc_auc of that trial's predictions
        cur.execute(
            f"SELECT predicted_y_bin_probs[2].prob FROM ML.PREDICT(MODEL m, (SELECT * FROM train WHERE "
            f"id % 4 = 0 ORDER BY id), STRUCT({trial_id} AS trial_id))"
        )
        assert objective == pytest.approx(roc_auc_score(y, [r[0] for r in cur.fetchall()]), rel=1e-12)
    best = max(trials, key=lambda t: (t[2], -t[0]))
    assert [t[0] for t in trials if t[5]] == [best[0]]
    cur.execute("SELECT predicted_y_bin_probs FROM ML.PREDICT(MODEL m, TABLE test)")
    default = cur.fetchall()
    cur.execute(f"SELECT predicted_y_bin_probs FROM ML.PREDICT(MODEL m, TABLE test, STRUCT({best[0]} AS trial_id))")
    assert cur.fetchall() == default
    cur.execute("SELECT roc_auc FROM ML.EVALUATE(MODEL m)")
    assert cur.fetchone()[0] == pytest.approx(best[2], rel=1e-12)


def test_a_trial_model_is_the_library_model_with_its_hyperparameters(loaded, frames):
    train, test = frames
    cur = loaded.cursor()
    cur.execute(
        f"CREATE MODEL m OPTIONS(model_type='linear_reg', input_label_cols=['y_reg'], {SPLIT}, num_trials=3, "
        "hparam_tuning_algorithm='GRID_SEARCH', l2_reg=HPARAM_CANDIDATES([0.0, 50.0, 5000.0])) AS "
        "SELECT x1, x2, color, flag, y_reg, id % 4 = 0 AS is_eval FROM train"
    )
    trials = _trials(cur)
    assert sorted(h["l2_reg"] for _, h, *_ in trials) == [0.0, 50.0, 5000.0]
    training = train[train["id"] % 4 != 0]
    X, X_test = linear_matrices(training, test)
    for trial_id, hyperparameters, *_ in trials:
        l2 = hyperparameters["l2_reg"]
        reference = Ridge(alpha=l2) if l2 else LinearRegression()  # the documented mapping
        expected = reference.fit(X, training["y_reg"]).predict(X_test)
        cur.execute(
            f"SELECT predicted_y_reg FROM ML.PREDICT(MODEL m, TABLE test, STRUCT({trial_id} AS trial_id)) ORDER BY id"
        )
        np.testing.assert_allclose([r[0] for r in cur.fetchall()], expected, rtol=1e-6, atol=1e-6)
    evaluation = train[train["id"] % 4 == 0]
    scores = {}
    for trial_id, _, objective, *_ in trials:
        cur.execute(
            f"SELECT predicted_y_reg FROM ML.PREDICT(MODEL m, (SELECT * FROM train WHERE id % 4 = 0 "
            f"ORDER BY id), STRUCT({trial_id} AS trial_id))"
        )
        scores[trial_id] = r2_score(evaluation["y_reg"], [r[0] for r in cur.fetchall()])
        assert objective == pytest.approx(scores[trial_id], rel=1e-9)
    assert [t[0] for t in trials if t[5]] == [max(scores, key=lambda k: (scores[k], -k))]


def test_evaluate_gives_the_optimal_or_the_chosen_trial(loaded, frames):
    """https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-evaluate: a tuned model's
    ML.EVALUATE starts with trial_id and evaluates the optimal trial unless STRUCT(n AS trial_id) chooses one.
    Each trial's metrics are recomputed with scikit-learn from its own predictions on the evaluation rows."""
    train, _ = frames
    cur = loaded.cursor()
    cur.execute(
        f"CREATE MODEL m OPTIONS(model_type='linear_reg', input_label_cols=['y_reg'], {SPLIT}, num_trials=3, "
        "hparam_tuning_algorithm='GRID_SEARCH', l2_reg=HPARAM_CANDIDATES([0.0, 50.0, 5000.0])) AS "
        "SELECT x1, x2, color, flag, y_reg, id % 4 = 0 AS is_eval FROM train"
    )
    optimal = [t[0] for t in _trials(cur) if t[5]]
    y = train[train["id"] % 4 == 0]["y_reg"]
    rows = "(SELECT * FROM train WHERE id % 4 = 0 ORDER BY id)"

    def expected(trial_id):
        cur.execute(f"SELECT predicted_y_reg FROM ML.PREDICT(MODEL m, {rows}, STRUCT({trial_id} AS trial_id))")
        predicted = [r[0] for r in cur.fetchall()]
        return {
            "trial_id": trial_id,
            "mean_absolute_error": pytest.approx(mean_absolute_error(y, predicted), rel=1e-9),
            "mean_squared_error": pytest.approx(mean_squared_error(y, predicted), rel=1e-9),
            "median_absolute_error": pytest.approx(median_absolute_error(y, predicted), rel=1e-9),
            "r2_score": pytest.approx(r2_score(y, predicted), rel=1e-9),
            "explained_variance": pytest.approx(explained_variance_score(y, predicted), rel=1e-9),
        }

    def evaluated(arguments):
        cur.execute(f"SELECT * FROM ML.EVALUATE(MODEL m{arguments})")
        row = dict(zip([d[0] for d in cur.description], cur.fetchone()))
        assert next(iter(row)) == "trial_id"
        return {name: row[name] for name in expected(1)}

    assert len(optimal) == 1 and evaluated("") == expected(optimal[0])
    for trial_id in (1, 2, 3):  # the metrics kept at training, and those of the rows given
        assert evaluated(f", STRUCT({trial_id} AS trial_id)") == expected(trial_id)
        assert evaluated(f", {rows}, STRUCT({trial_id} AS trial_id)") == expected(trial_id)
    fails(
        loaded,
        "SELECT * FROM ML.EVALUATE(MODEL m, STRUCT(4 AS trial_id))",
        sqlml.ProgrammingError,
        "no trial 4",
        "1, 2, 3",
    )
    cur.execute(
        "CREATE MODEL plain OPTIONS(model_type='linear_reg', input_label_cols=['y_reg']) AS SELECT x1, y_reg FROM train"
    )
    cur.execute("SELECT * FROM ML.EVALUATE(MODEL plain)")
    assert "trial_id" not in [d[0] for d in cur.description]
    fails(
        loaded,
        "SELECT * FROM ML.EVALUATE(MODEL plain, STRUCT(1 AS trial_id))",
        sqlml.ProgrammingError,
        "main.plain",
        "not trained with hyperparameter tuning",
    )


def test_evaluate_of_a_tuned_kmeans_model_scores_the_chosen_trial(loaded, frames):
    """https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-evaluate (k-means: trial_id,
    davies_bouldin_index, mean_squared_distance): the index of each trial's own clustering of the rows given,
    recomputed with scikit-learn from the trial's ML.PREDICT."""
    train, test = frames
    cur = loaded.cursor()
    cur.execute(
        "CREATE MODEL k OPTIONS(model_type='kmeans', num_trials=3, hparam_tuning_algorithm='GRID_SEARCH', "
        "num_clusters=HPARAM_CANDIDATES([2, 3, 4])) AS SELECT x1, x2, color, flag FROM train"
    )
    _, X_test = linear_matrices(train, test)
    optimal = [t[0] for t in _trials(cur, "k") if t[5]]
    for trial_id, choice in [(t, f", STRUCT({t} AS trial_id)") for t in (1, 2, 3)] + [(optimal[0], "")]:
        cur.execute(f"SELECT CENTROID_ID FROM ML.PREDICT(MODEL k, (SELECT * FROM test ORDER BY id){choice})")
        labels = [r[0] for r in cur.fetchall()]
        cur.execute(f"SELECT * FROM ML.EVALUATE(MODEL k, TABLE test{choice})")
        assert [d[0] for d in cur.description] == ["trial_id", "davies_bouldin_index", "mean_squared_distance"]
        got = cur.fetchone()
        assert got[:2] == (trial_id, pytest.approx(davies_bouldin_score(X_test, labels), rel=1e-9))


def test_grid_search_runs_each_combination_once(loaded):
    cur = loaded.cursor()
    cur.execute(
        f"CREATE MODEL m OPTIONS(model_type='logistic_reg', input_label_cols=['y_bin'], {SPLIT}, "
        "num_trials=10, hparam_tuning_algorithm='GRID_SEARCH', l1_reg=HPARAM_CANDIDATES([0.0, 1.0]), "
        "l2_reg=HPARAM_CANDIDATES([0.0, 2.0]), hparam_tuning_objectives=['log_loss']) AS "
        + QUERY.format(drop="y_reg, y_multi")
    )
    combos = [(h["l1_reg"], h["l2_reg"]) for _, h, *_ in _trials(cur)]
    assert sorted(combos) == [(0.0, 0.0), (0.0, 2.0), (1.0, 0.0), (1.0, 2.0)]
    trials = _trials(cur)
    assert [t[0] for t in trials if t[5]] == [min(trials, key=lambda t: (t[2], t[0]))[0]]  # log_loss: minimized


def test_random_search_is_seeded_and_parallel_trials_run(loaded):
    cur = loaded.cursor()
    create = (
        "CREATE OR REPLACE MODEL m OPTIONS(model_type='random_forest_regressor', input_label_cols=['y_reg'], "
        f"{SPLIT}, num_trials=4, max_parallel_trials=2, hparam_tuning_algorithm='RANDOM_SEARCH', seed=7, "
        "num_parallel_tree=5, max_tree_depth=HPARAM_RANGE(2, 12)) AS " + QUERY.format(drop="y_bin, y_multi")
    )
    cur.execute(create)
    first = sorted(h["max_tree_depth"] for _, h, *_ in _trials(cur))
    cur.execute(create)
    assert sorted(h["max_tree_depth"] for _, h, *_ in _trials(cur)) == first
    assert len(first) == 4 and all(2 <= d <= 12 for d in first)


def test_default_search_space_and_failed_trials(con):
    """kmeans with no search space searches num_clusters in [2, 10]; on 6 rows, trials with more than 6
    clusters fail with their reason recorded, and the others still give a model."""
    cur = con.cursor()
    cur.execute("CREATE TABLE pts AS SELECT range::DOUBLE AS x, (range % 3)::DOUBLE AS z FROM range(6)")
    cur.execute(
        "CREATE MODEL k OPTIONS(model_type='kmeans', num_trials=12, hparam_tuning_algorithm='GRID_SEARCH') "
        "AS SELECT * FROM pts"
    )
    trials = _trials(cur, "k")
    assert sorted(h["num_clusters"] for _, h, *_ in trials) == list(range(2, 11))
    for _, h, objective, status, error, _ in trials:
        if h["num_clusters"] > 6:
            assert status == "FAILED" and "num_clusters" in error and objective is None
        elif h["num_clusters"] < 6:  # with 6 clusters on 6 rows the index is undefined: failed too
            assert status == "SUCCEEDED" and objective is not None
    cur.execute("SELECT count(*) FROM ML.PREDICT(MODEL k, TABLE pts)")
    assert cur.fetchone() == (6,)


def test_drop_model_removes_its_trials(loaded):
    cur = loaded.cursor()
    cur.execute(
        "CREATE MODEL m OPTIONS(model_type='linear_reg', input_label_cols=['y_reg'], num_trials=2) AS "
        "SELECT x1, y_reg FROM train"
    )
    cur.execute("DROP MODEL m")
    cur.execute("SELECT count(*) FROM sqlml.model_trials")
    assert cur.fetchone() == (0,)


TUNED = (
    "CREATE MODEL t OPTIONS(model_type='{model_type}', input_label_cols=['y_reg'], {extra}) AS "
    "SELECT x1, x2, color, y_reg FROM train"
)
BAD = [
    (
        TUNED.format(model_type="dnn_regressor", extra="num_trials=3, optimizer=HPARAM_RANGE(1, 2)"),
        sqlml.ProgrammingError,
        ["HPARAM_RANGE applies to numeric options", "optimizer", "HPARAM_CANDIDATES"],
    ),
    (
        TUNED.format(model_type="linear_reg", extra="num_trials=3, seed=HPARAM_RANGE(1, 5)"),
        sqlml.ProgrammingError,
        ["seed cannot be tuned"],
    ),
    (
        TUNED.format(model_type="linear_reg", extra="l2_reg=HPARAM_RANGE(0, 5)"),
        sqlml.ProgrammingError,
        ["l2_reg", "num_trials > 1"],
    ),
    (
        TUNED.format(model_type="linear_reg", extra="num_trials=3, l2_reg=HPARAM_RANGE(5, 1)"),
        sqlml.ProgrammingError,
        ["min is above max"],
    ),
    (
        TUNED.format(model_type="linear_reg", extra="num_trials=3, l2_reg=HPARAM_RANGE(-1, 1)"),
        sqlml.ProgrammingError,
        ["l2_reg", ">= 0"],
    ),
    (
        TUNED.format(model_type="linear_reg", extra="num_trials=3, l2_reg=HPARAM_CANDIDATES([])"),
        sqlml.ProgrammingError,
        ["non-empty array"],
    ),
    (
        TUNED.format(model_type="linear_reg", extra="num_trials=3, hparam_tuning_objectives=['roc_auc']"),
        sqlml.ProgrammingError,
        ["roc_auc", "not a regression metric", "r2_score"],
    ),
    (
        TUNED.format(model_type="linear_reg", extra="num_trials=3, hparam_tuning_objectives=['speed']"),
        sqlml.ProgrammingError,
        ["hparam_tuning_objectives", "r2_score"],
    ),
    (
        TUNED.format(
            model_type="linear_reg",
            extra="num_trials=3, hparam_tuning_algorithm='GRID_SEARCH', l2_reg=HPARAM_RANGE(0, 1)",
        ),
        sqlml.ProgrammingError,
        ["GRID_SEARCH", "l2_reg"],
    ),
    (TUNED.format(model_type="linear_reg", extra="num_trials=0"), sqlml.ProgrammingError, ["num_trials", ">= 1"]),
    ("SELECT * FROM ML.TRIAL_INFO(MODEL plain)", sqlml.ProgrammingError, ["was not tuned"]),
    (
        "SELECT * FROM ML.PREDICT(MODEL tuned, TABLE test, STRUCT(99 AS trial_id))",
        sqlml.ProgrammingError,
        ["no trial 99"],
    ),
    ("SELECT * FROM ML.EVALUATE(MODEL tuned, STRUCT('one' AS trial_id))", sqlml.ProgrammingError, ["trial_id", "int"]),
]


@pytest.mark.parametrize("sql, error, fragments", BAD, ids=range(len(BAD)))
def test_bad_tuning(loaded, sql, error, fragments):
    cur = loaded.cursor()
    cur.execute(
        "CREATE MODEL plain OPTIONS(model_type='linear_reg', input_label_cols=['y_reg']) AS SELECT x1, y_reg FROM train"
    )
    cur.execute(
        "CREATE MODEL tuned OPTIONS(model_type='linear_reg', input_label_cols=['y_reg'], num_trials=2) AS "
        "SELECT x1, y_reg FROM train"
    )
    fails(loaded, sql, error, *fragments)

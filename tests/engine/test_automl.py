"""automl_classifier / automl_regressor: the budget, the comparison with a default boosted tree, trials."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification

import sqlml
from sqlml.engine.families import FAMILIES
from sqlml.engine.training import automl
from tests.engine.reference import fails

SPLIT = "data_split_method='CUSTOM', data_split_col='is_eval'"


@pytest.fixture
def ten_thousand(con, tmp_path):
    """10,000 rows of a synthetic classification problem (scikit-learn's make_classification) with a
    categorical column; every fifth row is an evaluation row."""
    X, y = make_classification(
        n_samples=10_000, n_features=10, n_informative=6, n_redundant=2, flip_y=0.05, class_sep=0.7, random_state=3
    )
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(10)])
    frame["band"] = np.where(X[:, 0] > 0.5, "high", np.where(X[:, 0] < -0.5, "low", "mid"))
    frame["label"] = y
    frame["is_eval"] = np.arange(len(frame)) % 5 == 0
    frame.to_parquet(tmp_path / "data.parquet")
    con.cursor().execute(f"CREATE TABLE data AS SELECT * FROM read_parquet('{tmp_path / 'data.parquet'}')")
    return con


def _simulated_clock(monkeypatch, seconds_per_fit: float) -> SimpleNamespace:
    """AutoML's clock made a simulated one that only model fits advance, each by `seconds_per_fit`: the
    budget's arithmetic, checked whatever the machine's speed."""
    clock = SimpleNamespace(now=0.0)
    monkeypatch.setattr(automl, "time", SimpleNamespace(perf_counter=lambda: clock.now))
    for name, family in FAMILIES.items():
        if family.fit is not None:

            def fit(data, fit=family.fit):
                clock.now += seconds_per_fit
                return fit(data)

            monkeypatch.setitem(FAMILIES, name, replace(family, fit=fit))
    return clock


def test_one_minute_budget_beats_the_default_boosted_tree(ten_thousand, monkeypatch):
    """A fit takes 2.5 simulated seconds, a candidate's 3-fold cross-validation 7.5: the search may use 80%
    of the minute, 48 s, so it runs 6 candidates (45 s) and stops, the 7th would end past 48 s; training the
    winner adds one fit, 47.5 s in all."""
    clock = _simulated_clock(monkeypatch, seconds_per_fit=2.5)
    cur = ten_thousand.cursor()
    cur.execute(
        f"CREATE MODEL auto OPTIONS(model_type='automl_classifier', budget_hours={1 / 60!r}, {SPLIT}) "
        "AS SELECT * FROM data"
    )
    assert clock.now == 6 * 3 * 2.5 + 2.5
    cur.execute(f"CREATE MODEL boosted OPTIONS(model_type='boosted_tree_classifier', {SPLIT}) AS SELECT * FROM data")
    cur.execute("SELECT roc_auc FROM ML.EVALUATE(MODEL auto)")
    automl_auc = cur.fetchone()[0]
    cur.execute("SELECT roc_auc FROM ML.EVALUATE(MODEL boosted)")
    assert automl_auc >= cur.fetchone()[0]

    cur.execute("SELECT trial_id, hyperparameters, objective, status, is_optimal FROM ML.TRIAL_INFO(MODEL auto)")
    trials = cur.fetchall()
    families = [h["model_type"] for _, h, *_ in trials]
    assert families[:4] == ["boosted_tree_classifier", "logistic_reg", "random_forest_classifier", "dnn_classifier"]
    assert len(trials) == 6  # the search went on past the defaults, and stopped at the budget
    optimal = [t for t in trials if t[4]]
    assert len(optimal) == 1 and optimal[0][2] == max(t[2] for t in trials if t[3] == "SUCCEEDED")
    cur.execute("SELECT estimator_type FROM sqlml.model_versions WHERE model_name = 'auto'")
    assert cur.fetchone() == (optimal[0][1]["model_type"],)


def test_a_budget_shorter_than_one_candidate_tries_only_the_default_boosted_tree(con):
    """On the real clock: the first candidate always runs; a budget it outlasts launches no other."""
    cur = con.cursor()
    cur.execute("CREATE TABLE s AS SELECT range::DOUBLE AS x, range % 3 = 0 AS label FROM range(300)")
    cur.execute("CREATE MODEL tiny OPTIONS(model_type='automl_classifier', budget_hours=1e-6) AS SELECT * FROM s")
    cur.execute("SELECT hyperparameters.model_type, is_optimal FROM ML.TRIAL_INFO(MODEL tiny)")
    assert cur.fetchall() == [("boosted_tree_classifier", True)]


def test_regressor_predicts_with_its_winner(con, monkeypatch):
    _simulated_clock(monkeypatch, seconds_per_fit=0.5)  # the same 5 candidates on any machine
    cur = con.cursor()
    cur.execute(
        "CREATE TABLE r AS SELECT range::DOUBLE / 10 AS x, (range % 7)::VARCHAR AS k, "
        "sin(range / 10) * 3 + (range % 7) AS y FROM range(600)"
    )
    cur.execute(
        "CREATE MODEL ar OPTIONS(model_type='automl_regressor', input_label_cols=['y'], budget_hours=0.003, "
        "optimization_objective='MINIMIZE_MAE') AS SELECT * FROM r"
    )
    cur.execute("SELECT mean_absolute_error FROM ML.EVALUATE(MODEL ar, TABLE r)")
    mae = cur.fetchone()[0]
    cur.execute("SELECT avg(abs(y - predicted_y)) FROM ML.PREDICT(MODEL ar, TABLE r)")
    assert cur.fetchone()[0] == pytest.approx(mae, rel=1e-9)
    assert mae < 1.0  # y spans about 12; the constant predictor's error is about 2.5


BAD = [
    (
        "CREATE MODEL x OPTIONS(model_type='automl_classifier', budget_hours=0) AS SELECT * FROM data",
        sqlml.ProgrammingError,
        ["budget_hours", "> 0"],
    ),
    (
        "CREATE MODEL x OPTIONS(model_type='automl_classifier', budget_hours=-1) AS SELECT * FROM data",
        sqlml.ProgrammingError,
        ["budget_hours", "> 0"],
    ),
    (
        "CREATE MODEL x OPTIONS(model_type='automl_classifier', optimization_objective='MINIMIZE_RMSE') AS "
        "SELECT * FROM data",
        sqlml.ProgrammingError,
        ["MINIMIZE_RMSE", "automl_classifier"],
    ),
    (
        "CREATE MODEL x OPTIONS(model_type='automl_regressor', num_trials=3) AS SELECT * FROM data",
        sqlml.ProgrammingError,
        ["num_trials", "budget_hours"],
    ),
]


@pytest.mark.parametrize("sql, error, fragments", BAD, ids=range(len(BAD)))
def test_bad_automl(ten_thousand, sql, error, fragments):
    fails(ten_thousand, sql, error, *fragments)


def test_only_the_optimal_candidate_has_a_model(con, monkeypatch):
    _simulated_clock(monkeypatch, seconds_per_fit=0.25)  # the same 4 candidates on any machine
    cur = con.cursor()
    cur.execute("CREATE TABLE s AS SELECT range::DOUBLE AS x, range % 2 = 0 AND range % 3 > 0 AS label FROM range(300)")
    cur.execute("CREATE MODEL small OPTIONS(model_type='automl_classifier', budget_hours=0.001) AS SELECT * FROM s")
    cur.execute("SELECT trial_id FROM ML.TRIAL_INFO(MODEL small) WHERE NOT is_optimal LIMIT 1")
    other = cur.fetchone()[0]
    fails(
        con,
        f"SELECT * FROM ML.PREDICT(MODEL small, TABLE s, STRUCT({other} AS trial_id))",
        sqlml.ProgrammingError,
        "AutoML trains only its optimal candidate",
    )
    cur.execute(
        "SELECT trial_id, hparam_tuning_evaluation_metrics.roc_auc, objective "
        "FROM ML.TRIAL_INFO(MODEL small) WHERE is_optimal"
    )
    winner, auc, objective = cur.fetchone()
    assert float(auc) == pytest.approx(objective)  # the trial's metrics are the cross-validated ones
    cur.execute("SELECT predicted_label FROM ML.PREDICT(MODEL small, TABLE s) ORDER BY x")
    default = cur.fetchall()
    cur.execute(
        f"SELECT predicted_label FROM ML.PREDICT(MODEL small, TABLE s, STRUCT({winner} AS trial_id)) ORDER BY x"
    )
    assert cur.fetchall() == default


def test_rmse_objective_is_the_root_and_tiny_classes_fail_clearly(con, monkeypatch):
    _simulated_clock(monkeypatch, seconds_per_fit=0.2)  # the same 3 candidates on any machine
    cur = con.cursor()
    cur.execute("CREATE TABLE r AS SELECT range::DOUBLE AS x, (range % 5) * 100.0 + range AS y FROM range(90)")
    cur.execute(
        "CREATE MODEL ar OPTIONS(model_type='automl_regressor', input_label_cols=['y'], budget_hours=0.0005) "
        "AS SELECT * FROM r"
    )
    cur.execute(
        "SELECT objective, hparam_tuning_evaluation_metrics.mean_squared_error FROM ML.TRIAL_INFO(MODEL ar) "
        "WHERE status = 'SUCCEEDED' LIMIT 1"
    )
    rmse, mse = cur.fetchone()
    assert 0 < rmse <= float(mse) ** 0.5 + 1e-9  # the mean of the folds' roots is at most the root of the mean
    cur.execute(
        "CREATE TABLE rare AS SELECT range::DOUBLE AS x, CASE WHEN range = 0 THEN 'c' WHEN range % 2 = 0 "
        "THEN 'a' ELSE 'b' END AS label FROM range(60)"
    )
    fails(
        con,
        "CREATE MODEL ac OPTIONS(model_type='automl_classifier', budget_hours=0.0005) AS SELECT * FROM rare",
        sqlml.DataError,
        "every class needs at least 3 training rows",
        "smallest class has 1",
    )


def test_the_automl_model_is_its_winner_trained_on_real_data(con, monkeypatch):
    """On the bundled cars data: the AutoML version predicts exactly as the winning candidate's model type
    trained with the winner's hyperparameters (that model type is itself checked against its library in
    test_reference.py)."""
    _simulated_clock(monkeypatch, seconds_per_fit=0.4)  # the same 4 candidates on any machine
    cur = con.cursor()
    cur.execute("CREATE TABLE cars AS FROM read_csv('sql_examples/data/cars.csv')")
    query = "SELECT * EXCLUDE (name) FROM cars WHERE mpg IS NOT NULL"
    cur.execute(
        f"CREATE MODEL auto OPTIONS(model_type='automl_regressor', input_label_cols=['mpg'], "
        f"budget_hours=0.002) AS {query}"
    )
    cur.execute("SELECT hyperparameters FROM ML.TRIAL_INFO(MODEL auto) WHERE is_optimal")
    winner = {k: v for k, v in cur.fetchone()[0].items() if v is not None}  # the union of the candidates' fields
    options = ", ".join(f"{k} = {v!r}" for k, v in winner.items())
    cur.execute(f"CREATE MODEL same OPTIONS({options}, input_label_cols=['mpg']) AS {query}")
    cur.execute(
        "SELECT a.predicted_mpg, b.predicted_mpg FROM ML.PREDICT(MODEL auto, TABLE cars) a "
        "POSITIONAL JOIN ML.PREDICT(MODEL same, TABLE cars) b"
    )
    pairs = cur.fetchall()
    np.testing.assert_allclose([a for a, _ in pairs], [b for _, b in pairs], rtol=1e-9)
    cur.execute("SELECT * FROM ML.EVALUATE(MODEL auto)")
    auto = cur.fetchone()
    cur.execute("SELECT * FROM ML.EVALUATE(MODEL same)")
    assert cur.fetchone() == pytest.approx(auto, rel=1e-9)

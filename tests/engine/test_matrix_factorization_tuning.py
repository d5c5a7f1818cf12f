"""Hyperparameter tuning of MATRIX_FACTORIZATION models as BigQuery ML documents it
(https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-create-matrix-factorization:
NUM_FACTORS, L2_REG and WALS_ALPHA take HPARAM_RANGE / HPARAM_CANDIDATES; HPARAM_TUNING_OBJECTIVES is
MEAN_SQUARED_ERROR for EXPLICIT models, one of MEAN_AVERAGE_PRECISION (the default), MEAN_SQUARED_ERROR,
NORMALIZED_DISCOUNTED_CUMULATIVE_GAIN, AVERAGE_RANK for IMPLICIT ones; default ranges num_factors [2, 20],
l2_reg (0, 10], wals_alpha [0, 100]) and https://cloud.google.com/bigquery/docs/hp-tuning-overview.

References are independent of the code under test: each trial's factors read through ML.WEIGHTS(MODEL m,
STRUCT(n AS trial_id)) solve the ridge problems of that trial's l2_reg (scikit-learn's Ridge on the training
rows), or equal the `implicit` library's fitted directly with that trial's hyperparameters; each trial's
objective is recomputed in numpy from those weights on the evaluation rows.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import Ridge

import sqlml
from tests.engine.reference import fails, mf_weights, planted_ratings

GRID = [(2, 0.5), (2, 3.0), (3, 0.5), (3, 3.0)]  # (num_factors, l2_reg) in GRID_SEARCH's order


@pytest.fixture
def ratings(con, tmp_path):
    """Tables r (explicit ratings, 20 users x 12 items) and c (implicit counts), each row marked 'TRAIN' or 'EVAL'
    in column part (every fourth row held out), as BigQuery ML's CUSTOM split under tuning takes it."""
    cur = con.cursor()
    for name, frame in (("r", planted_ratings(20, 12, 6, 0)), ("c", planted_ratings(20, 12, 5, 1, implicit=True))):
        frame["part"] = np.where(np.arange(len(frame)) % 4 == 0, "EVAL", "TRAIN")
        path = tmp_path / f"{name}.parquet"
        frame.to_parquet(path)
        cur.execute(f"CREATE TABLE {name} AS SELECT * FROM read_parquet('{path}')")
    return cur


def _rows(cur, table: str, part: str) -> list[tuple]:
    cur.execute(f"SELECT user, item::VARCHAR, rating FROM {table} WHERE part = '{part}'")
    return cur.fetchall()


def _trials(cur, model: str) -> list[tuple]:
    cur.execute(
        f"SELECT trial_id, hyperparameters, hparam_tuning_evaluation_metrics, status, is_optimal "
        f"FROM ML.TRIAL_INFO(MODEL {model}) ORDER BY trial_id"
    )
    return cur.fetchall()


def _predicted(users: dict, items: dict, mu: float, user, item) -> float:
    """BigQuery ML's prediction: an unknown user or item contributes no factors and no intercept."""
    x, bu = users.get(user, (0.0, 0.0))
    y, bi = items.get(item, (0.0, 0.0))
    return mu + bu + bi + float(np.dot(x, y))


def test_grid_search_trials_are_fitted_with_their_hyperparameters_and_scored_on_the_evaluation_rows(ratings):
    cur = ratings
    cur.execute(
        "CREATE MODEL m OPTIONS(model_type='matrix_factorization', num_trials=4, hparam_tuning_algorithm='GRID_SEARCH', "
        "num_factors=HPARAM_CANDIDATES([2, 3]), l2_reg=HPARAM_CANDIDATES([0.5, 3.0]), max_iterations=300, "
        "early_stop=FALSE, data_split_method='CUSTOM', data_split_col='part') AS SELECT * FROM r"
    )
    train, held = _rows(cur, "r", "TRAIN"), _rows(cur, "r", "EVAL")
    trials = _trials(cur, "m")
    assert [(t[1]["num_factors"], t[1]["l2_reg"]) for t in trials] == GRID
    mses = {}
    for trial_id, hyperparameters, measured, status, _ in trials:
        assert status == "SUCCEEDED"
        users, items, mu = mf_weights(cur, "m", trial_id)
        assert mu == pytest.approx(np.mean([row[2] for row in train]), abs=1e-12)
        for side, own, other in ((0, users, items), (1, items, users)):  # each vector: its ridge problem's solution
            for key, (vector, intercept) in own.items():
                assert len(vector) == hyperparameters["num_factors"]
                mine = [row for row in train if row[side] == key]
                design = np.array([[*other[row[1 - side]][0], 1.0] for row in mine])
                target = np.array([row[2] - mu - other[row[1 - side]][1] for row in mine])
                ridge = Ridge(alpha=hyperparameters["l2_reg"], fit_intercept=False).fit(design, target)
                assert np.allclose(ridge.coef_, [*vector, intercept], atol=1e-6), (trial_id, side, key)
        mses[trial_id] = np.mean([(r - _predicted(users, items, mu, u, i)) ** 2 for u, i, r in held])
        assert list(measured) == ["mean_squared_error"]  # the default objective of an EXPLICIT model
        assert measured["mean_squared_error"] == pytest.approx(mses[trial_id])
    best = min(mses, key=mses.get)
    assert [t[0] for t in trials if t[4]] == [best]
    cur.execute("SELECT trial_id, mean_squared_error FROM ML.EVALUATE(MODEL m)")  # no test rows: the eval rows'
    assert cur.fetchone() == (best, pytest.approx(mses[best]))
    cur.execute("SELECT trial_id, mean_squared_error FROM ML.EVALUATE(MODEL m, STRUCT(2 AS trial_id))")
    assert cur.fetchone() == (2, pytest.approx(mses[2]))
    for trial in (None, 2):  # ML.RECOMMEND and ML.PREDICT use the chosen trial's factors, else the optimal one's
        users, items, mu = mf_weights(cur, "m", trial or best)
        chosen = "" if trial is None else f", STRUCT({trial} AS trial_id)"
        cur.execute(f"SELECT user, item::VARCHAR, predicted_rating FROM ML.RECOMMEND(MODEL m{chosen})")
        got = cur.fetchall()
        assert len(got) == len(users) * len(items)
        assert all(p == pytest.approx(_predicted(users, items, mu, u, i), abs=1e-9) for u, i, p in got)
        cur.execute(f"SELECT user, item::VARCHAR, predicted_rating FROM ML.PREDICT(MODEL m, TABLE r{chosen})")
        assert all(p == pytest.approx(_predicted(users, items, mu, u, i), abs=1e-9) for u, i, p in cur.fetchall())
    cur.execute("SELECT DISTINCT trial_id FROM ML.WEIGHTS(MODEL m)")  # BigQuery ML: the optimal trial's weights
    assert cur.fetchall() == [(best,)]


def test_implicit_trials_are_the_implicit_librarys_fits_and_the_lowest_average_rank_wins(ratings):
    """hparam_tuning_objectives written as the page writes it, one string; each trial's factors are the library's
    fitted directly with that trial's wals_alpha (confidence 1 + wals_alpha * r) on the training rows."""
    import scipy.sparse as sp
    from implicit.cpu.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    cur = ratings
    cur.execute(
        "CREATE MODEL mi OPTIONS(model_type='matrix_factorization', feedback_type='IMPLICIT', num_factors=3, "
        "l2_reg=0.1, wals_alpha=HPARAM_CANDIDATES([1.0, 20.0, 80.0]), num_trials=3, hparam_tuning_algorithm="
        "'GRID_SEARCH', hparam_tuning_objectives='AVERAGE_RANK', max_iterations=6, early_stop=FALSE, "
        "data_split_method='CUSTOM', data_split_col='part') AS SELECT * FROM c"
    )
    train, held = _rows(cur, "c", "TRAIN"), _rows(cur, "c", "EVAL")
    user_keys = sorted({r[0] for r in train})
    item_keys = sorted({r[1] for r in train}, key=int)  # the model's order: items are integers
    trials = _trials(cur, "mi")
    ranks = {}
    for trial_id, hyperparameters, measured, _, _ in trials:
        alpha = hyperparameters["wals_alpha"]
        matrix = sp.csr_matrix(
            (
                [1 + alpha * r[2] for r in train],
                ([user_keys.index(r[0]) for r in train], [item_keys.index(r[1]) for r in train]),
            ),
            shape=(len(user_keys), len(item_keys)),
        )
        with threadpool_limits(1, "blas"):
            direct = AlternatingLeastSquares(factors=3, regularization=0.1, iterations=6, random_state=0)
            direct.fit(matrix, show_progress=False)
        users, items, _ = mf_weights(cur, "mi", trial_id)
        assert np.allclose([users[k][0] for k in user_keys], direct.user_factors, atol=1e-5)
        assert np.allclose([items[k][0] for k in item_keys], direct.item_factors, atol=1e-5)
        # Hu et al.'s expected percentile rank of the held-out positives of known users and items
        weighted = total = 0.0
        for u in sorted({r[0] for r in held if r[0] in users}):
            scores = direct.user_factors[user_keys.index(u)] @ direct.item_factors.T
            percentile = np.argsort(np.argsort(-scores, kind="stable"), kind="stable") / (len(item_keys) - 1)
            for _, i, r in (row for row in held if row[0] == u and row[1] in items):
                weighted, total = weighted + r * percentile[item_keys.index(i)], total + r
        ranks[trial_id] = weighted / total
        assert list(measured) == ["average_rank"]
        assert measured["average_rank"] == pytest.approx(ranks[trial_id], abs=1e-6)
    best = min(ranks, key=ranks.get)  # average_rank: lower is better
    assert [t[0] for t in trials if t[4]] == [best]


@pytest.mark.parametrize("feedback, searched", [("EXPLICIT", {"num_factors", "l2_reg"}), ("IMPLICIT", None)])
def test_without_a_search_space_the_pages_default_ranges_are_searched(ratings, feedback, searched):
    cur = ratings
    cur.execute(
        f"CREATE MODEL d OPTIONS(model_type='matrix_factorization', feedback_type='{feedback}', num_trials=3, "
        "hparam_tuning_algorithm='RANDOM_SEARCH', max_iterations=3) AS SELECT user, item, rating FROM c"
    )
    for _, hyperparameters, _, status, _ in _trials(cur, "d"):
        assert status == "SUCCEEDED"
        assert set(hyperparameters) == (searched or {"num_factors", "l2_reg", "wals_alpha"})
        assert 2 <= hyperparameters["num_factors"] <= 12  # [2, 20], at most the 12 items
        assert 0 < hyperparameters["l2_reg"] <= 10
        assert 0 <= hyperparameters.get("wals_alpha", 0) <= 100


TUNED = "CREATE MODEL bad OPTIONS(model_type='matrix_factorization', num_trials=2{options}) AS SELECT user, item, rating FROM r"


@pytest.mark.parametrize(
    "options, error, fragments",
    [
        (", hparam_tuning_objectives='AVERAGE_RANK'", sqlml.ProgrammingError, ["average_rank", "mean_squared_error"]),
        (
            ", hparam_tuning_objectives=['ROC_AUC']",
            sqlml.ProgrammingError,
            ["hparam_tuning_objectives", "mean_average_precision"],
        ),
        (", wals_alpha=HPARAM_RANGE(0, 5)", sqlml.ProgrammingError, ["wals_alpha", "IMPLICIT"]),
        (
            ", l2_reg=HPARAM_RANGE(0.1, 1), hparam_tuning_algorithm='GRID_SEARCH'",
            sqlml.ProgrammingError,
            ["GRID_SEARCH", "l2_reg"],
        ),
        (", num_factors=HPARAM_RANGE(1, 5)", sqlml.ProgrammingError, ["num_factors", ">= 2"]),
        (", user_col=HPARAM_CANDIDATES(['a', 'b'])", sqlml.ProgrammingError, ["user_col", "cannot be tuned"]),
        (
            ", num_factors=HPARAM_CANDIDATES([13, 14]), hparam_tuning_algorithm='GRID_SEARCH'",
            sqlml.DataError,
            ["all 2", "12 items"],
        ),
    ],
)
def test_bad_tuning_input_is_refused_naming_the_option(con, ratings, options, error, fragments):
    fails(con, TUNED.format(options=options), error, *fragments)


def test_a_search_space_needs_num_trials_and_a_trial_must_exist(con, ratings):
    fails(
        con,
        "CREATE MODEL bad OPTIONS(model_type='matrix_factorization', num_factors=HPARAM_CANDIDATES([2, 3])) "
        "AS SELECT user, item, rating FROM r",
        sqlml.ProgrammingError,
        "num_factors",
        "num_trials > 1",
    )
    ratings.execute(
        "CREATE MODEL m OPTIONS(model_type='matrix_factorization', num_trials=2, hparam_tuning_algorithm='GRID_SEARCH', "
        "num_factors=HPARAM_CANDIDATES([2, 3]), max_iterations=2) AS SELECT user, item, rating FROM r"
    )
    fails(
        con, "SELECT * FROM ML.RECOMMEND(MODEL m, STRUCT(9 AS trial_id))", sqlml.ProgrammingError, "no trial 9", "1, 2"
    )


def test_test_rows_measure_the_optimal_trial_and_parallel_trials_repeat_the_serial_ones(ratings):
    """With 'TEST' rows, trials are compared on the 'EVAL' rows and ML.EVALUATE without input reports the optimal
    trial on the 'TEST' rows (as the page's tuning split does); max_parallel_trials changes no trial."""
    cur = ratings
    cur.execute(
        "CREATE TABLE r3 AS SELECT user, item, rating, if(hash(user, item) % 5 = 0, 'TEST', part) AS part FROM r"
    )
    for model, parallel in (("serial", 1), ("parallel", 3)):
        cur.execute(
            f"CREATE MODEL {model} OPTIONS(model_type='matrix_factorization', num_trials=4, max_parallel_trials="
            f"{parallel}, hparam_tuning_algorithm='GRID_SEARCH', num_factors=HPARAM_CANDIDATES([2, 3]), "
            "l2_reg=HPARAM_CANDIDATES([0.5, 3.0]), max_iterations=20, data_split_method='CUSTOM', "
            "data_split_col='part') AS SELECT * FROM r3"
        )
    trials = _trials(cur, "serial")
    assert _trials(cur, "parallel") == trials
    for trial_id, *_ in trials:
        serial, parallel = (mf_weights(cur, model, trial_id)[0] for model in ("serial", "parallel"))
        assert serial.keys() == parallel.keys()
        assert all(np.array_equal(serial[key][0], parallel[key][0]) for key in serial)
    (best,) = [t[0] for t in trials if t[4]]
    users, items, mu = mf_weights(cur, "serial", best)
    mse = {
        part: np.mean([(r - _predicted(users, items, mu, u, i)) ** 2 for u, i, r in _rows(cur, "r3", part)])
        for part in ("EVAL", "TEST")
    }
    assert trials[best - 1][2]["mean_squared_error"] == pytest.approx(mse["EVAL"])
    cur.execute("SELECT trial_id, mean_squared_error FROM ML.EVALUATE(MODEL serial)")
    assert cur.fetchone() == (best, pytest.approx(mse["TEST"]))

"""linear_reg and logistic_reg's optimize_strategy, learn_rate_strategy, learn_rate, ls_init_learn_rate, early_stop and
min_rel_progress, against scikit-learn's solvers of the same objective and hand-computed first steps.

https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-create-glm: OPTIMIZE_STRATEGY
(AUTO_STRATEGY, BATCH_GRADIENT_DESCENT, NORMAL_EQUATION), LEARN_RATE_STRATEGY (LINE_SEARCH, CONSTANT), LEARN_RATE,
LS_INIT_LEARN_RATE, EARLY_STOP, MIN_REL_PROGRESS.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import Lasso, LinearRegression, LogisticRegression

import sqlml
from tests.engine.reference import fails

N = 80


@pytest.fixture
def cur(con):
    cursor = con.cursor()
    cursor.execute(
        f"CREATE TABLE t AS SELECT ((i * 7) % 11)::DOUBLE AS x1, sin(i)::DOUBLE AS x2, "
        f"(2 + 0.5 * ((i * 7) % 11) - sin(i) + cos(3 * i))::DOUBLE AS y, (cos(5 * i) + 0.1 * ((i * 7) % 11) > 0.5) AS b "
        f"FROM range({N}) r(i)"
    )
    return cursor


def data(cur) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(X standardized as the linear encoding reads it: population std, y, b)."""
    cur.execute("SELECT x1, x2, y, b FROM t")
    rows = np.array(cur.fetchall(), dtype=float)
    X = rows[:, :2]
    return (X - X.mean(axis=0)) / X.std(axis=0), rows[:, 2], rows[:, 3]


def create(cur, model_type: str, label: str, options: str) -> None:
    cur.execute(
        f"CREATE OR REPLACE MODEL m OPTIONS(model_type='{model_type}', input_label_cols=['{label}'], "
        f"data_split_method='NO_SPLIT', {options}) AS SELECT x1, x2, {label} FROM t"
    )


def predictions(cur, column: str) -> np.ndarray:
    cur.execute(f"SELECT {column} FROM ML.PREDICT(MODEL m, TABLE t)")
    return np.array([r[0] for r in cur.fetchall()], dtype=float)


def positive_probability(cur) -> np.ndarray:
    cur.execute("SELECT p.prob FROM ML.PREDICT(MODEL m, TABLE t), UNNEST(predicted_b_probs) AS u(p) WHERE p.label")
    return np.array([r[0] for r in cur.fetchall()])


GD = "optimize_strategy='BATCH_GRADIENT_DESCENT', early_stop=FALSE, max_iterations=3000"


def test_gradient_descent_reaches_least_squares(cur):
    X, y, _ = data(cur)
    create(cur, "linear_reg", "y", GD)
    np.testing.assert_allclose(predictions(cur, "predicted_y"), LinearRegression().fit(X, y).predict(X), rtol=1e-5)


def test_gradient_descent_with_l1_reaches_the_lasso(cur):
    """Σ squared error + l1_reg·|w|₁ is scikit-learn's Lasso with alpha = l1_reg / (2n)."""
    X, y, _ = data(cur)
    create(cur, "linear_reg", "y", GD + ", l1_reg=20.0")
    lasso = Lasso(alpha=20.0 / (2 * N), tol=1e-12, max_iter=100_000).fit(X, y)
    np.testing.assert_allclose(predictions(cur, "predicted_y"), lasso.predict(X), rtol=1e-6)


def test_gradient_descent_reaches_l2_logistic_regression(cur):
    """Σ log loss + l2_reg·|w|² is scikit-learn's LogisticRegression with C = 1 / (2·l2_reg)."""
    X, _, b = data(cur)
    create(cur, "logistic_reg", "b", GD + ", l2_reg=2.0")
    reference = LogisticRegression(C=1 / 4.0, tol=1e-12, max_iter=100_000).fit(X, b)
    np.testing.assert_allclose(positive_probability(cur), reference.predict_proba(X)[:, 1], rtol=1e-6)


def test_constant_learn_rate_takes_the_hand_computed_first_step(cur):
    """From zero, one step of learn_rate on the mean squared error: intercept = 2·lr·mean(y), w = 2·lr·Xᵀy / n."""
    X, y, _ = data(cur)
    create(
        cur,
        "linear_reg",
        "y",
        "optimize_strategy='BATCH_GRADIENT_DESCENT', learn_rate_strategy='CONSTANT', learn_rate=0.05, max_iterations=1",
    )
    intercept, w = 2 * 0.05 * y.mean(), 2 * 0.05 * X.T @ y / N
    np.testing.assert_allclose(predictions(cur, "predicted_y"), intercept + X @ w, rtol=1e-10)
    cur.execute("SELECT iteration, loss, learning_rate FROM ML.TRAINING_INFO(MODEL m)")
    ((iteration, loss, rate),) = cur.fetchall()
    assert (iteration, rate) == (0, 0.05)
    np.testing.assert_allclose(loss, np.mean((y - intercept - X @ w) ** 2), rtol=1e-10)


def test_constant_learn_rate_runs_every_iteration_without_early_stop(cur):
    create(
        cur,
        "linear_reg",
        "y",
        "optimize_strategy='BATCH_GRADIENT_DESCENT', learn_rate_strategy='CONSTANT', "
        "learn_rate=0.2, max_iterations=25, early_stop=FALSE",
    )
    cur.execute("SELECT iteration, loss, learning_rate FROM ML.TRAINING_INFO(MODEL m) ORDER BY iteration")
    rows = cur.fetchall()
    assert [r[0] for r in rows] == list(range(25)) and {r[2] for r in rows} == {0.2}
    assert all(later <= earlier for (_, earlier, _), (_, later, _) in zip(rows, rows[1:]))


def test_early_stop_ends_at_the_first_small_relative_progress(cur):
    """Every recorded iteration but the last improved the best loss by at least min_rel_progress of it."""
    create(
        cur,
        "linear_reg",
        "y",
        "optimize_strategy='BATCH_GRADIENT_DESCENT', ls_init_learn_rate=0.02, min_rel_progress=0.001, "
        "max_iterations=500",
    )
    cur.execute("SELECT loss FROM ML.TRAINING_INFO(MODEL m) ORDER BY iteration")
    losses = [r[0] for r in cur.fetchall()]
    assert 2 < len(losses) < 500
    best = np.minimum.accumulate(losses)
    gains = (best[:-1] - np.array(losses[1:])) / best[:-1]
    assert (gains[:-1] >= 0.001).all() and gains[-1] < 0.001


def test_normal_equation_is_least_squares(cur):
    X, y, _ = data(cur)
    create(cur, "linear_reg", "y", "optimize_strategy='NORMAL_EQUATION'")
    np.testing.assert_allclose(predictions(cur, "predicted_y"), LinearRegression().fit(X, y).predict(X), rtol=1e-10)


def test_auto_strategy_with_a_learning_rate_descends(cur):
    """BigQuery ML's own example (https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-create-glm)
    gives LS_INIT_LEARN_RATE under the default AUTO_STRATEGY: a learning rate then means batch gradient descent."""
    weights = []
    for strategy in ("AUTO_STRATEGY", "BATCH_GRADIENT_DESCENT"):
        create(
            cur,
            "linear_reg",
            "y",
            f"optimize_strategy='{strategy}', ls_init_learn_rate=0.15, l1_reg=1, max_iterations=5",
        )
        cur.execute("SELECT processed_input, weight FROM ML.WEIGHTS(MODEL m) ORDER BY 1")
        weights.append(cur.fetchall())
        cur.execute("SELECT count(*) FROM ML.TRAINING_INFO(MODEL m)")
        assert cur.fetchone()[0] > 1  # one row per descent iteration
    assert weights[0] == weights[1]


@pytest.mark.parametrize(
    ("options", "fragments"),
    [
        ("optimize_strategy='NORMAL_EQUATION', l1_reg=1.0", ("NORMAL_EQUATION", "l1_reg")),
        ("learn_rate=0.1", ("learn_rate", "LINE_SEARCH")),
        (
            "optimize_strategy='NORMAL_EQUATION', learn_rate_strategy='CONSTANT'",
            ("learn_rate_strategy", "NORMAL_EQUATION"),
        ),
        ("optimize_strategy='NORMAL_EQUATION', ls_init_learn_rate=0.2", ("ls_init_learn_rate", "NORMAL_EQUATION")),
        ("optimize_strategy='BATCH_GRADIENT_DESCENT', learn_rate=0.1", ("learn_rate", "LINE_SEARCH")),
        (
            "optimize_strategy='BATCH_GRADIENT_DESCENT', learn_rate_strategy='CONSTANT', ls_init_learn_rate=0.1",
            ("ls_init_learn_rate", "CONSTANT"),
        ),
        ("optimize_strategy='SGD'", ("optimize_strategy", "BATCH_GRADIENT_DESCENT")),
    ],
)
def test_refused_combinations(cur, options, fragments):
    create_sql = (
        f"CREATE MODEL bad OPTIONS(model_type='linear_reg', input_label_cols=['y'], {options}) AS SELECT x1, y FROM t"
    )
    fails(cur.connection, create_sql, sqlml.ProgrammingError, *fragments)


def test_normal_equation_refuses_logistic_reg_and_divergence_is_a_data_error(cur):
    fails(
        cur.connection,
        "CREATE MODEL bad OPTIONS(model_type='logistic_reg', input_label_cols=['b'], optimize_strategy="
        "'NORMAL_EQUATION') AS SELECT x1, b FROM t",
        sqlml.ProgrammingError,
        "NORMAL_EQUATION",
        "logistic_reg",
    )
    fails(
        cur.connection,
        "CREATE MODEL bad OPTIONS(model_type='linear_reg', input_label_cols=['y'], optimize_strategy="
        "'BATCH_GRADIENT_DESCENT', learn_rate_strategy='CONSTANT', learn_rate=1e6, max_iterations=200, "
        "early_stop=FALSE) AS SELECT x1, y FROM t",
        sqlml.DataError,
        "diverged",
        "learn_rate",
    )


def test_each_iterations_eval_loss_is_on_the_evaluation_rows(cur):
    """The last iteration's eval_loss is the mean squared error of ML.PREDICT on the rows CUSTOM held out."""
    cur.execute(
        "CREATE MODEL m OPTIONS(model_type='linear_reg', input_label_cols=['y'], data_split_method='CUSTOM', "
        "data_split_col='held', optimize_strategy='BATCH_GRADIENT_DESCENT', max_iterations=7, early_stop=FALSE) "
        "AS SELECT x1, x2, y, x1 > 5 AS held FROM t"
    )
    cur.execute("SELECT eval_loss FROM ML.TRAINING_INFO(MODEL m) ORDER BY iteration")
    losses = [r[0] for r in cur.fetchall()]
    cur.execute("SELECT y, predicted_y FROM ML.PREDICT(MODEL m, (SELECT * FROM t WHERE x1 > 5))")
    y, predicted = np.array(cur.fetchall()).T
    assert len(losses) == 7
    np.testing.assert_allclose(losses[-1], np.mean((y - predicted) ** 2), rtol=1e-10)

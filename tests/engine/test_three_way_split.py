"""BigQuery ML's three-way split: training, evaluation and test rows (data_split_eval_fraction,
data_split_test_fraction; CUSTOM's data_split_col of 'TRAIN' / 'EVAL' / 'TEST').

https://cloud.google.com/bigquery/docs/hp-tuning-overview (data split with a test set) and
https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-create-glm (DATA_SPLIT_*): the model
trains on the training rows, ML.TRAINING_INFO's eval_loss is measured on the evaluation rows, and ML.EVALUATE
without input measures the test rows. Each test picks the rows by hand (or by the documented seeded permutation)
and checks the model against scikit-learn fitted and scored on exactly those rows.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

import sqlml
from tests.engine.reference import fails

N = 20


@pytest.fixture
def cur(con):
    """20 rows: a feature x, a label y no line fits exactly, k (the order SEQ sorts by: 19 - i) and s (CUSTOM's)."""
    cursor = con.cursor()
    cursor.execute(
        "CREATE TABLE t AS SELECT i, i::DOUBLE AS x, ((i * 7) % 11 + 0.1 * i * i)::DOUBLE AS y, 19 - i AS k, "
        "['train', 'EVAL', 'Test', 'TRAIN', 'TRAIN'][i % 5 + 1] AS s FROM range(20) r(i)"
    )
    return cursor


def rows_xy(cur) -> tuple[np.ndarray, np.ndarray]:
    cur.execute("SELECT x, y FROM t ORDER BY i")
    x, y = np.array(cur.fetchall()).T
    return x, y


def create(cur, options: str, model_type: str = "linear_reg", columns: str = "x, y") -> None:
    cur.execute(
        f"CREATE MODEL m OPTIONS(model_type='{model_type}', input_label_cols=['y'], {options}) AS SELECT "
        f"{columns} FROM t"
    )


def check_split(cur, train: list[int], evaluation: list[int], test: list[int]) -> None:
    """The model is least squares on `train`; eval_loss is the MSE on `evaluation`; ML.EVALUATE measures `test`."""
    x, y = rows_xy(cur)
    assert sorted(train + evaluation + test) == list(range(N))
    reference = LinearRegression().fit(x[train, None], y[train])
    cur.execute("SELECT predicted_y FROM ML.PREDICT(MODEL m, (SELECT x FROM t ORDER BY i))")
    predicted = np.array([r[0] for r in cur.fetchall()])
    np.testing.assert_allclose(predicted, reference.predict(x[:, None]), rtol=1e-9)
    cur.execute("SELECT eval_loss FROM ML.TRAINING_INFO(MODEL m)")
    ((eval_loss,),) = cur.fetchall()
    np.testing.assert_allclose(eval_loss, mean_squared_error(y[evaluation], predicted[evaluation]), rtol=1e-9)
    cur.execute("SELECT mean_absolute_error, mean_squared_error, r2_score FROM ML.EVALUATE(MODEL m)")
    expected = [f(y[test], predicted[test]) for f in (mean_absolute_error, mean_squared_error, r2_score)]
    np.testing.assert_allclose(cur.fetchall()[0], expected, rtol=1e-9)


def test_seq_takes_training_then_evaluation_then_test_rows(cur):
    """k = 19 - i ascending: i = 19..10 train (10 rows), 9..6 evaluate (0.2 of 20), 5..0 test (0.3 of 20)."""
    create(
        cur,
        "data_split_method='SEQ', data_split_col='k', data_split_eval_fraction=0.2, data_split_test_fraction=0.3",
        columns="x, y, k",
    )
    check_split(cur, list(range(10, 20)), [6, 7, 8, 9], [0, 1, 2, 3, 4, 5])


def test_custom_string_column_names_each_rows_split(cur):
    """s cycles train, EVAL, Test, TRAIN, TRAIN (case-insensitive) over i % 5."""
    create(cur, "data_split_method='CUSTOM', data_split_col='s'", columns="x, y, s")
    check_split(
        cur,
        [i for i in range(N) if i % 5 in (0, 3, 4)],
        [i for i in range(N) if i % 5 == 1],
        [i for i in range(N) if i % 5 == 2],
    )


def test_random_holds_out_the_seeded_permutations_first_rows(cur):
    """RANDOM: in numpy's permutation seeded by `seed`, the first eval-fraction rows evaluate, the next
    test-fraction rows test (sqlml's documented rule)."""
    create(cur, "data_split_method='RANDOM', data_split_eval_fraction=0.25, data_split_test_fraction=0.2, seed=3")
    order = np.random.default_rng(3).permutation(N).tolist()
    check_split(cur, order[9:], order[:5], order[5:9])


def test_a_boosted_tree_evaluates_its_test_rows(cur):
    """Every family that splits shares the split: ML.EVALUATE of a boosted tree is its ML.PREDICT on the test rows."""
    create(cur, "data_split_method='CUSTOM', data_split_col='s'", "boosted_tree_regressor", "x, y, s")
    x, y = rows_xy(cur)
    cur.execute("SELECT predicted_y FROM ML.PREDICT(MODEL m, (SELECT x FROM t ORDER BY i))")
    predicted = np.array([r[0] for r in cur.fetchall()])
    test = [i for i in range(N) if i % 5 == 2]
    cur.execute("SELECT mean_squared_error FROM ML.EVALUATE(MODEL m)")
    np.testing.assert_allclose(cur.fetchall()[0][0], mean_squared_error(y[test], predicted[test]), rtol=1e-9)


def test_bad_splits_are_refused(cur):
    model = "CREATE MODEL bad OPTIONS(model_type='linear_reg', input_label_cols=['y'], {}) AS SELECT x, y{} FROM t"
    error = sqlml.ProgrammingError
    fails(cur.connection, model.format("data_split_test_fraction=0.2", ""), error, "data_split_test_fraction", "AUTO")
    fails(
        cur.connection,
        model.format("data_split_method='CUSTOM', data_split_col='s', data_split_test_fraction=0.2", ", s"),
        error,
        "data_split_test_fraction",
        "CUSTOM",
    )
    too_much = "data_split_method='RANDOM', data_split_eval_fraction=0.5, data_split_test_fraction=0.5"
    fails(cur.connection, model.format(too_much, ""), error, "below 1", "0.5 + 0.5")
    fails(
        cur.connection,
        model.format("data_split_method='SEQ', data_split_col='k', data_split_test_fraction=0.8", ", k"),
        error,
        "0.2 + 0.8",
    )
    fails(
        cur.connection,
        model.format("data_split_method='CUSTOM', data_split_col='x'", ", i"),
        error,
        "data_split_col 'x'",
        "BOOL",
        "VARCHAR",
    )
    cur.execute("CREATE TABLE u AS SELECT x, y, CASE WHEN x < 3 THEN 'validate' ELSE 'train' END AS s FROM t")
    fails(
        cur.connection,
        "CREATE MODEL bad OPTIONS(model_type='linear_reg', input_label_cols=['y'], data_split_method='CUSTOM', "
        "data_split_col='s') AS SELECT x, y, s FROM u",
        sqlml.DataError,
        "'VALIDATE'",
        "'TRAIN', 'EVAL' or 'TEST'",
    )

"""dnn_* beyond the reference fit (test_reference.py): early stopping by relative progress, bad options."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.neural_network import MLPClassifier

import sqlml
from tests.engine.reference import linear_matrices
from tests.engine.test_errors import fails

DNN = "CREATE MODEL d OPTIONS(model_type='dnn_classifier', input_label_cols=['y_bin'], {extra}) AS " \
      "SELECT x1, x2, color, flag, y_bin FROM train"


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # the reference MLP
def test_early_stop_ends_when_an_epoch_improves_too_little(loaded, frames):
    """min_rel_progress=0.9 with NO_SPLIT: the second epoch cannot cut the training loss by 90%, so
    training ends after two epochs, where max_iterations allows 50."""
    train, test = frames
    loaded.cursor().execute(DNN.format(extra="data_split_method='NO_SPLIT', min_rel_progress=0.9, "
                                             "max_iterations=50, hidden_units=[6]"))
    X, X_test = linear_matrices(train, test)
    y = (train["y_bin"] == "yes").to_numpy().astype(int)
    two_epochs = MLPClassifier((6,), alpha=0.0, batch_size=600, max_iter=2, tol=0.0, n_iter_no_change=1000,
                               random_state=0).fit(X, y)
    cur = loaded.cursor()
    cur.execute("SELECT predicted_y_bin_probs FROM ML.PREDICT(MODEL d, TABLE test) ORDER BY id")
    got = np.array([[e["prob"] for e in r[0]] for r in cur.fetchall()])
    np.testing.assert_allclose(got, two_epochs.predict_proba(X_test), atol=1e-9)


BAD = [
    (DNN.format(extra="dropout=0.2"), sqlml.NotSupportedError, ["dropout"]),
    (DNN.format(extra="dropout=1.5"), sqlml.ProgrammingError, ["dropout", "<= 1"]),
    (DNN.format(extra="hidden_units=[8, 0]"), sqlml.ProgrammingError, ["hidden_units[1]", ">= 1"]),
    (DNN.format(extra="hidden_units=[]"), sqlml.ProgrammingError, ["hidden_units", "non-empty array"]),
    (DNN.format(extra="hidden_units=8"), sqlml.ProgrammingError, ["hidden_units", "array of integers"]),
    (DNN.format(extra="activation_fn='CRELU'"), sqlml.ProgrammingError, ["activation_fn", "RELU, SIGMOID, TANH"]),
    (DNN.format(extra="optimizer='FTRL'"), sqlml.ProgrammingError, ["optimizer", "ADAM, SGD"]),
    (DNN.format(extra="batch_size=0"), sqlml.ProgrammingError, ["batch_size", ">= 1"]),
    (DNN.format(extra="l1_reg=1.0"), sqlml.ProgrammingError, ["l1_reg", "dnn_classifier", "l2_reg"]),
]


@pytest.mark.parametrize("sql, error, fragments", BAD, ids=range(len(BAD)))
def test_bad_dnn_options(loaded, sql, error, fragments):
    fails(loaded, sql, error, *fragments)


def test_training_info_losses_are_one_measure(con):
    """loss and eval_loss are the same quantity: on evaluation rows identical to the training rows they
    are equal (the MSE of the standardized label, without the penalty)."""
    cur = con.cursor()
    cur.execute("CREATE TABLE d AS SELECT range::DOUBLE / 10 AS x, sin(range / 10) AS y, false AS is_eval "
                "FROM range(200)")
    cur.execute("INSERT INTO d SELECT x, y, true FROM d")
    cur.execute("CREATE MODEL r OPTIONS(model_type='dnn_regressor', input_label_cols=['y'], hidden_units=[8], "
                "l2_reg=1.0, max_iterations=5, early_stop=FALSE, data_split_method='CUSTOM', data_split_col='is_eval') "
                "AS SELECT * FROM d")
    cur.execute("SELECT loss, eval_loss FROM ML.TRAINING_INFO(MODEL r)")
    rows = cur.fetchall()
    assert len(rows) == 5 and all(loss == pytest.approx(eval_loss, rel=1e-12) for loss, eval_loss in rows)

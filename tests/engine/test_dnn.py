"""dnn_* beyond the reference fit (test_reference.py): dropout, early stopping by relative progress, bad options."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.neural_network import MLPClassifier

import sqlml
from tests.engine.reference import TF_ACTIVATIONS, fails, linear_matrices, numerical_gradient

DNN = (
    "CREATE MODEL d OPTIONS(model_type='dnn_classifier', input_label_cols=['y_bin'], {extra}) AS "
    "SELECT x1, x2, color, flag, y_bin FROM train"
)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # the reference MLP
def test_early_stop_ends_when_an_epoch_improves_too_little(loaded, frames):
    """min_rel_progress=0.9 with NO_SPLIT: the second epoch cannot cut the training loss by 90%, so
    training ends after two epochs, where max_iterations allows 50."""
    train, test = frames
    loaded.cursor().execute(
        DNN.format(extra="data_split_method='NO_SPLIT', min_rel_progress=0.9, max_iterations=50, hidden_units=[6]")
    )
    X, X_test = linear_matrices(train, test)
    y = (train["y_bin"] == "yes").to_numpy().astype(int)
    two_epochs = MLPClassifier(
        (6,), alpha=0.0, batch_size=600, max_iter=2, tol=0.0, n_iter_no_change=1000, random_state=0
    ).fit(X, y)
    cur = loaded.cursor()
    cur.execute("SELECT predicted_y_bin_probs FROM ML.PREDICT(MODEL d, TABLE test) ORDER BY id")
    got = np.array([[e["prob"] for e in r[0]] for r in cur.fetchall()])
    np.testing.assert_allclose(got, two_epochs.predict_proba(X_test), atol=1e-9)


DROPOUT_DATA = (
    "CREATE TABLE d AS SELECT sin(range) AS x1, cos(range * 0.7) AS x2, "
    "sin(range) * 2 - cos(range * 0.7) + 0.3 * sin(range * 5) AS y, "
    "CASE WHEN sin(range) + 0.5 * cos(range * 0.7) + 0.4 * sin(range * 3) > 0 THEN 1 ELSE 0 END AS c "
    "FROM range(40)"
)


def _reference_dropout_fit(X, y, *, classifier, activation, optimizer, rate, dropout, l2_reg, batch, epochs, seed):
    """A one-hidden-layer network trained as docs/model_types.md describes dropout, with gradients by finite
    differences and TensorFlow's Adam (l2_reg a penalty in the loss) / proximal gradient descent (l2_reg the
    optimizer's strength: https://www.tensorflow.org/api_docs/python/tf/raw_ops/ApplyProximalGradientDescent);
    returns a predict function. CRELU (tf.nn.crelu) outputs [relu(z), relu(-z)]: 6 inputs to the output layer."""
    rs, masks = np.random.RandomState(seed), np.random.default_rng(seed)
    if activation == "CRELU":
        hidden, outputs = (lambda z: np.concatenate([np.maximum(z, 0), np.maximum(-z, 0)], axis=1)), 6
    else:
        hidden, outputs = np.vectorize(TF_ACTIVATIONS[activation]), 3
    params = []
    for fan_in, fan_out in [(X.shape[1], 3), (outputs, 1)]:
        bound = np.sqrt((2.0 if activation == "SIGMOID" else 6.0) / (fan_in + fan_out))
        params += [rs.uniform(-bound, bound, (fan_in, fan_out)), rs.uniform(-bound, bound, fan_out)]
    w1, b1, w2, b2 = params
    params = [w1, w2, b1, b2]
    mean, std = (0.0, 1.0) if classifier else (y.mean(), y.std())
    target = (y - mean) / std

    def output(A, keep):
        z = ((hidden(A @ w1 + b1) * keep) @ w2 + b2)[:, 0]
        return 1 / (1 + np.exp(-z)) if classifier else z

    moments, t = [[np.zeros_like(p) for p in params] for _ in range(2)], 0
    for _ in range(epochs):
        order = rs.permutation(len(X))
        for start in range(0, len(X), batch):
            rows = order[start : start + batch]
            keep = (masks.random((len(rows), outputs)) >= dropout) / (1 - dropout)

            def loss(rows=rows, keep=keep):
                out = output(X[rows], keep)
                fit = (
                    -np.sum(target[rows] * np.log(out) + (1 - target[rows]) * np.log(1 - out))
                    if classifier
                    else 0.5 * np.sum((out - target[rows]) ** 2)
                )
                penalty = l2_reg * (np.sum(w1**2) + np.sum(w2**2)) if optimizer == "ADAM" else 0.0
                return (fit + penalty) / len(rows)

            grads = numerical_gradient(loss, params)
            if optimizer == "ADAM":
                t += 1
                step = rate * np.sqrt(1 - 0.999**t) / (1 - 0.9**t)
                for p, g, m, v in zip(params, grads, *moments):
                    m[...] = 0.9 * m + 0.1 * g
                    v[...] = 0.999 * v + 0.001 * g * g
                    p -= step * m / (np.sqrt(v) + 1e-8)
            else:  # var = sign(v) / (1 + rate * l2) * max(|v| - rate * l1, 0), l1 = 0, of v = var - rate * grad
                for p, g in zip(params, grads):
                    p[...] = (p - rate * g) / (1 + rate * l2_reg)
    return lambda A: output(A, 1.0) * std + mean


@pytest.mark.parametrize(
    "model_type, label, activation, optimizer",
    [
        ("dnn_regressor", "y", "TANH", "ADAM"),
        ("dnn_classifier", "c", "SIGMOID", "SGD"),
        ("dnn_regressor", "y", "ELU", "SGD"),
        ("dnn_classifier", "c", "SELU", "ADAM"),
        ("dnn_regressor", "y", "CRELU", "ADAM"),
    ],
)
def test_dropout_matches_a_finite_difference_reference(con, model_type, label, activation, optimizer):
    """dropout=0.5: ML.PREDICT equals the same network trained with finite-difference gradients, the masks
    drawn as documented (to 1e-6), the activation as TensorFlow defines it; without dropout the predictions
    differ."""
    cur = con.cursor()
    cur.execute(DROPOUT_DATA)
    options = (
        f"model_type='{model_type}', input_label_cols=['{label}'], hidden_units=[3], "
        f"activation_fn='{activation}', optimizer='{optimizer}', learn_rate=0.05, l2_reg=0.1, "
        "batch_size=8, max_iterations=4, early_stop=FALSE, data_split_method='NO_SPLIT'"
    )
    for name, dropout in (("dropped", 0.5), ("full", 0.0)):
        cur.execute(f"CREATE MODEL {name} OPTIONS({options}, dropout={dropout}) AS SELECT x1, x2, {label} FROM d")
    cur.execute("SELECT x1, x2, y, c FROM d")
    rows = np.array(cur.fetchall(), dtype=float)
    X = (rows[:, :2] - rows[:, :2].mean(axis=0)) / rows[:, :2].std(axis=0)  # sqlml standardizes numerics
    classifier = model_type == "dnn_classifier"
    predict = _reference_dropout_fit(
        X,
        rows[:, 2 + classifier],
        classifier=classifier,
        activation=activation,
        optimizer=optimizer,
        rate=0.05,
        dropout=0.5,
        l2_reg=0.1,
        batch=8,
        epochs=4,
        seed=0,
    )
    output = f"predicted_{label}_probs[2].prob" if classifier else f"predicted_{label}"
    got = {}
    for name in ("dropped", "full"):
        cur.execute(f"SELECT {output} FROM ML.PREDICT(MODEL {name}, (SELECT x1, x2 FROM d))")
        got[name] = np.array([r[0] for r in cur.fetchall()])
    np.testing.assert_allclose(got["dropped"], predict(X), atol=1e-6)
    assert np.abs(got["full"] - got["dropped"]).max() > 1e-3


BAD = [
    (DNN.format(extra="dropout=1.0"), sqlml.ProgrammingError, ["dropout", "< 1", "1.0"]),
    (DNN.format(extra="dropout=-0.1"), sqlml.ProgrammingError, ["dropout", ">= 0"]),
    (DNN.format(extra="hidden_units=[8, 0]"), sqlml.ProgrammingError, ["hidden_units[1]", ">= 1"]),
    (DNN.format(extra="hidden_units=[]"), sqlml.ProgrammingError, ["hidden_units", "non-empty array"]),
    (DNN.format(extra="hidden_units=8"), sqlml.ProgrammingError, ["hidden_units", "array of integers"]),
    (
        DNN.format(extra="activation_fn='GELU'"),
        sqlml.ProgrammingError,
        ["activation_fn", "RELU, RELU6, CRELU, ELU, SELU, SIGMOID, TANH"],
    ),
    (DNN.format(extra="optimizer='NADAM'"), sqlml.ProgrammingError, ["optimizer", "ADAGRAD, ADAM, FTRL, RMSPROP, SGD"]),
    (DNN.format(extra="batch_size=0"), sqlml.ProgrammingError, ["batch_size", ">= 1"]),
    (DNN.format(extra="l1_reg=1.0"), sqlml.ProgrammingError, ["l1_reg", "ADAGRAD, FTRL or SGD", "not ADAM"]),
    (DNN.format(extra="l1_reg=1.0, optimizer='RMSPROP'"), sqlml.ProgrammingError, ["l1_reg", "not RMSPROP"]),
    (DNN.format(extra="tf_version='2.8.0'"), sqlml.ProgrammingError, ["tf_version 2.8.0", "TensorFlow 1.15"]),
    (DNN.format(extra="tf_version='3.0'"), sqlml.ProgrammingError, ["tf_version", "1.15, 2.8.0"]),
    (
        DNN.format(extra="integrated_gradients_num_steps=50"),
        sqlml.ProgrammingError,
        ["integrated_gradients_num_steps", "sampled Shapley"],
    ),
]


@pytest.mark.parametrize("sql, error, fragments", BAD, ids=range(len(BAD)))
def test_bad_dnn_options(loaded, sql, error, fragments):
    fails(loaded, sql, error, *fragments)


def test_training_info_losses_are_one_measure(con):
    """loss and eval_loss are the same quantity: on evaluation rows identical to the training rows they
    are equal (the MSE of the standardized label, without the penalty)."""
    cur = con.cursor()
    cur.execute(
        "CREATE TABLE d AS SELECT range::DOUBLE / 10 AS x, sin(range / 10) AS y, false AS is_eval FROM range(200)"
    )
    cur.execute("INSERT INTO d SELECT x, y, true FROM d")
    cur.execute(
        "CREATE MODEL r OPTIONS(model_type='dnn_regressor', input_label_cols=['y'], hidden_units=[8], "
        "l2_reg=1.0, max_iterations=5, early_stop=FALSE, data_split_method='CUSTOM', data_split_col='is_eval') "
        "AS SELECT * FROM d"
    )
    cur.execute("SELECT loss, eval_loss FROM ML.TRAINING_INFO(MODEL r)")
    rows = cur.fetchall()
    assert len(rows) == 5 and all(loss == pytest.approx(eval_loss, rel=1e-12) for loss, eval_loss in rows)


@pytest.mark.parametrize("activation_fn", sorted(TF_ACTIVATIONS))
def test_hidden_activations_are_tensorflows(activation_fn):
    """Each activation_fn equals TensorFlow's definition on [-10, 10] (past RELU6's clip at 6), and the slope
    backpropagation takes from a unit's output equals the definition's central difference."""
    from sqlml.engine.families.dnn import ACTIVATIONS
    from sqlml.engine.families.mlp import _SLOPE, HIDDEN

    name = ACTIVATIONS[activation_fn]
    z = np.linspace(-10, 10, 401) + 0.013  # off the kinks at 0 and 6
    expected = np.array([TF_ACTIVATIONS[activation_fn](v) for v in z])
    np.testing.assert_allclose(HIDDEN[name](z), expected, rtol=1e-12, atol=1e-15)
    step = 1e-6
    central = [
        (TF_ACTIVATIONS[activation_fn](v + step) - TF_ACTIVATIONS[activation_fn](v - step)) / (2 * step) for v in z
    ]
    np.testing.assert_allclose(_SLOPE[name](HIDDEN[name](z)), central, atol=1e-6)

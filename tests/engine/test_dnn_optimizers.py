"""dnn_* optimizers (OPTIMIZER = ADAGRAD | ADAM | FTRL | RMSPROP | SGD): each step equals TensorFlow 1.15's
documented update, written out below element by element; each trains a network through SQL.

BigQuery ML's reference names TensorFlow's tf.compat.v1.train optimizers for each value, and ProximalAdagrad /
Ftrl / ProximalGradientDescent for L1_REG and L2_REG:
https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-create-dnn-models
https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-create-wnd-models (OPTIMIZER, L1_REG)
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sqlml.engine.families.mlp import OPTIMIZERS


def _proximal(v: float, rate: float, l1: float, l2: float) -> float:
    """var = sign(prox_v) / (1 + lr * l2) * max{|prox_v| - lr * l1, 0}: TensorFlow's ApplyProximalGradientDescent
    and ApplyProximalAdagrad, https://www.tensorflow.org/api_docs/python/tf/raw_ops/ApplyProximalAdagrad."""
    return math.copysign(1.0, v) * max(abs(v) - rate * l1, 0.0) / (1 + rate * l2) if v else 0.0


def _adam(lr, l1, l2):
    """tf.compat.v1.train.AdamOptimizer(beta1=0.9, beta2=0.999, epsilon=1e-08): lr_t = lr * sqrt(1 - beta2^t) /
    (1 - beta1^t), m = beta1 m + (1 - beta1) g, v = beta2 v + (1 - beta2) g^2, var -= lr_t m / (sqrt(v) + eps).
    https://www.tensorflow.org/versions/r1.15/api_docs/python/tf/train/AdamOptimizer"""
    state = {"t": 0}

    def step(var, g, slot):
        m, v = slot.get("m", 0.0), slot.get("v", 0.0)
        m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g * g
        slot.update(m=m, v=v)
        return var - lr * math.sqrt(1 - 0.999 ** state["t"]) / (1 - 0.9 ** state["t"]) * m / (math.sqrt(v) + 1e-8)

    return step, state


def _sgd(lr, l1, l2):
    """GradientDescentOptimizer; with l1 / l2, ProximalGradientDescentOptimizer: prox_v = var - lr * g."""
    return (lambda var, g, slot: _proximal(var - lr * g, lr, l1, l2)), {}


def _adagrad(lr, l1, l2):
    """ProximalAdagradOptimizer(initial_accumulator_value=0.1): accum += g^2, prox_v = var - lr g / sqrt(accum);
    the plain AdagradOptimizer when l1 = l2 = 0."""

    def step(var, g, slot):
        slot["accum"] = slot.get("accum", 0.1) + g * g
        rate = lr / math.sqrt(slot["accum"])
        return _proximal(var - rate * g, rate, l1, l2)

    return step, {}


def _ftrl(lr, l1, l2, lr_power=-0.5):
    """FtrlOptimizer(learning_rate_power=-0.5, initial_accumulator_value=0.1), TensorFlow's ApplyFtrl:
    accum_new = accum + g^2; linear += g - (accum_new^(-lr_power) - accum^(-lr_power)) / lr * var;
    quadratic = 1 / (accum_new^lr_power * lr) + 2 l2; var = (sign(linear) l1 - linear) / quadratic if |linear| > l1
    else 0. https://www.tensorflow.org/api_docs/python/tf/raw_ops/ApplyFtrl"""

    def step(var, g, slot):
        accum, linear = slot.get("accum", 0.1), slot.get("linear", 0.0)
        accum_new = accum + g * g
        linear += g - (accum_new ** (-lr_power) - accum ** (-lr_power)) / lr * var
        quadratic = 1.0 / (accum_new**lr_power * lr) + 2 * l2
        slot.update(accum=accum_new, linear=linear)
        return (math.copysign(l1, linear) - linear) / quadratic if abs(linear) > l1 else 0.0

    return step, {}


def _rmsprop(lr, l1, l2):
    """RMSPropOptimizer(decay=0.9, momentum=0.0, epsilon=1e-10), its mean square slot initialized to ones:
    ms = decay ms + (1 - decay) g^2; mom = momentum mom + lr g / sqrt(ms + epsilon); var -= mom.
    https://www.tensorflow.org/versions/r1.15/api_docs/python/tf/train/RMSPropOptimizer,
    https://www.tensorflow.org/api_docs/python/tf/raw_ops/ApplyRMSProp"""

    def step(var, g, slot):
        ms = 0.9 * slot.get("ms", 1.0) + 0.1 * g * g
        mom = 0.0 * slot.get("mom", 0.0) + lr * g / math.sqrt(ms + 1e-10)
        slot.update(ms=ms, mom=mom)
        return var - mom

    return step, {}


REFERENCES = {"ADAM": _adam, "SGD": _sgd, "ADAGRAD": _adagrad, "FTRL": _ftrl, "RMSPROP": _rmsprop}
CASES = [
    (name, l1, l2)
    for name in REFERENCES
    for l1, l2 in ((0.0, 0.0), (1.0, 0.0), (0.0, 0.3), (0.5, 0.5))
    if OPTIMIZERS[name].strengths or not (l1 or l2)  # ADAM, RMSPROP take no strengths (l2 is a loss penalty)
]


@pytest.mark.parametrize("name, l1, l2", CASES)
def test_steps_equal_tensorflows_update(name, l1, l2):
    """40 steps of random gradients on a weight matrix and a bias vector: after each, every entry equals the
    reference."""
    rng = np.random.default_rng(7)
    params = [rng.normal(size=(3, 2)), rng.normal(size=2)]
    grads = [[rng.normal(scale=2.0, size=p.shape) for p in params] for _ in range(40)]
    kind = OPTIMIZERS[name]
    optimizer = kind(params, 0.05, l1, l2) if kind.strengths else kind(params, 0.05)
    expected = [p.ravel().tolist() for p in params]
    step, state = REFERENCES[name](0.05, l1, l2)
    slots, zeroed = [[{} for _ in p] for p in expected], 0
    for batch in grads:
        optimizer.step(params, batch)
        state["t"] = state.get("t", 0) + 1
        for values, g, slot in zip(expected, batch, slots):
            values[:] = [step(v, gi, s) for v, gi, s in zip(values, g.ravel(), slot)]
        for p, values in zip(params, expected):
            np.testing.assert_allclose(p.ravel(), values, rtol=1e-12, atol=0)
        zeroed += sum(v == 0.0 for values in expected for v in values)
    assert (zeroed > 0) == (l1 > 0)  # an L1 strength zeroes entries exactly, nothing else does


LEARN = (
    "CREATE TABLE d AS SELECT sin(range) AS x1, cos(range * 0.7) AS x2, "
    "CASE WHEN sin(range) + 0.5 * cos(range * 0.7) > 0 THEN 'yes' ELSE 'no' END AS c FROM range(300)"
)


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_each_optimizer_learns_through_sql(con, optimizer):
    """A classifier trained with each optimizer: the training loss falls by half, accuracy above 0.9."""
    cur = con.cursor()
    cur.execute(LEARN)
    cur.execute(
        f"CREATE MODEL m OPTIONS(model_type='dnn_classifier', input_label_cols=['c'], optimizer='{optimizer}', "
        "hidden_units=[8], learn_rate=0.1, batch_size=16, max_iterations=15, early_stop=FALSE, "
        "data_split_method='NO_SPLIT') AS SELECT * FROM d"
    )
    cur.execute("SELECT loss FROM ML.TRAINING_INFO(MODEL m) ORDER BY iteration")
    losses = [r[0] for r in cur.fetchall()]
    cur.execute("SELECT accuracy, log_loss FROM ML.EVALUATE(MODEL m)")
    accuracy, log_loss = cur.fetchone()
    assert len(losses) == 15 and losses[-1] < losses[0] / 2
    assert accuracy > 0.9 and log_loss < 0.3


@pytest.mark.parametrize("optimizer", ["ADAGRAD", "FTRL", "SGD"])
def test_a_large_l1_strength_zeroes_every_parameter(con, optimizer):
    """l1_reg reaches the optimizer: at 1e6 every weight and bias is zero after the first step, so every
    probability is sigmoid(0) = 0.5."""
    cur = con.cursor()
    cur.execute(LEARN)
    cur.execute(
        f"CREATE MODEL m OPTIONS(model_type='dnn_classifier', input_label_cols=['c'], optimizer='{optimizer}', "
        "l1_reg=1e6, hidden_units=[4], learn_rate=0.1, max_iterations=2, early_stop=FALSE) AS SELECT * FROM d"
    )
    cur.execute("SELECT DISTINCT p.prob FROM ML.PREDICT(MODEL m, TABLE d), UNNEST(predicted_c_probs) AS t(p)")
    assert cur.fetchall() == [(0.5,)]

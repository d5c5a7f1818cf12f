"""The network families' ML.PREDICT as SQL levels (export/sql.py builds the query around them): dnn_regressor /
dnn_classifier, dnn_linear_combined_* and the autoencoder's middle layer, computed as families/mlp.py does.

Each layer takes two levels (subqueries): its pre-activations, then its activations, each unit named
(`<p>z<k>_<j>`, `<p>h<k>_<j>`) and read by name in the next level, so no expression is written twice. The
first layer reads the encoded features (compiled/linear.linear_scores: mean imputation, standardization and
one-hot encoding folded into its weights); weights are DOUBLE literals of every digit (repr). The activations
are tf.nn's (mlp.HIDDEN) from arithmetic, CASE and EXP alone (no TANH or EXPM1, which not every dialect has):
exp is only taken of arguments <= 0 (no overflow), floored at -700 (exp(-700) ~ 1e-304, a normal double:
PostgreSQL raises an error where exp underflows); the sigmoid is the two-branch form scipy's expit computes.
Wide-and-deep's linear part is the linear weights plus, per crossed pair of categories (Wide.pairs), the cross
weight of the row's pair, read from a level of category positions and one of pair ids.
"""

from __future__ import annotations

import numpy as np

from sqlml.engine.compiled.linear import balanced_sum, linear_scores, number
from sqlml.engine.families.mlp import SELU_ALPHA, SELU_SCALE
from sqlml.engine.sqltext.quoting import literal
from sqlml.engine.store.model import Model

NETWORKS = ("dnn", "wide_and_deep", "autoencoder")  # the onnx_builder tags of the families this module covers
EXP_FLOOR = -700.0


def exp_of(x: str) -> str:
    """exp(x) for x <= 0, never underflowing to an error (see the module docstring)."""
    return f"exp(greatest({x}, {number(EXP_FLOOR)}))"


def sigmoid(z: str) -> str:
    """1 / (1 + exp(-z)) of a column z without overflow: exp of -|z| only, as scipy's expit."""
    return f"CASE WHEN {z} >= 0 THEN 1 / (1 + {exp_of('-' + z)}) ELSE {exp_of(z)} / (1 + {exp_of(z)}) END"


def _relu(z: str) -> str:
    return f"CASE WHEN {z} > 0 THEN {z} ELSE 0.0 END"


def _elu(z: str) -> str:
    return f"CASE WHEN {z} > 0 THEN {z} ELSE {exp_of(z)} - 1 END"


def _tanh(z: str) -> str:
    """(1 - e) / (1 + e), e = exp(-2|z|), signed as z."""
    return (
        f"CASE WHEN {z} >= 0 THEN (1 - {exp_of(f'-2 * {z}')}) / (1 + {exp_of(f'-2 * {z}')}) "
        f"ELSE ({exp_of(f'2 * {z}')} - 1) / ({exp_of(f'2 * {z}')} + 1) END"
    )


_UNIT = {  # an activation of one pre-activation column z (mlp.HIDDEN)
    "relu": _relu,
    "relu6": lambda z: f"CASE WHEN {z} <= 0 THEN 0.0 WHEN {z} >= 6 THEN 6.0 ELSE {z} END",
    "elu": _elu,
    "selu": lambda z: (
        f"{number(SELU_SCALE)} * CASE WHEN {z} > 0 THEN {z} ELSE {number(SELU_ALPHA)} * ({exp_of(z)} - 1) END"
    ),
    "logistic": sigmoid,
    "tanh": _tanh,
}


def activations(activation: str, z: list[str]) -> list[str]:
    """A hidden layer's outputs from its pre-activation columns z: one per unit, or for crelu [relu(z), relu(-z)]."""
    if activation == "crelu":
        return [_relu(v) for v in z] + [f"CASE WHEN {v} < 0 THEN -{v} ELSE 0.0 END" for v in z]
    return [_UNIT[activation](v) for v in z]


def _affine(model: Model, features: list[tuple], inputs: list[str] | None, w: np.ndarray, b: np.ndarray) -> list[str]:
    """Each unit of a layer as a DOUBLE: its bias plus its weights (w: inputs x units) times the encoded
    `features` (inputs None) or the named input columns."""
    if inputs is None:
        sums = linear_scores(model, features, w.T, b)
    else:
        sums = [
            balanced_sum([number(b[j])] + [f"{number(w[i, j])} * {x}" for i, x in enumerate(inputs) if w[i, j]])
            for j in range(w.shape[1])
        ]
    return [f"CAST({s} AS DOUBLE)" for s in sums]  # PostgreSQL reads the literals as NUMERIC


def _named(expressions: list[str], names: list[str]) -> list[str]:
    return [f"{e} AS {name}" for e, name in zip(expressions, names, strict=True)]


def _hidden_levels(
    model: Model, features: list[tuple], p: str, layers: int
) -> tuple[list[list[str]], list[str] | None]:
    """The levels (lists of `expression AS name`) of the network's first `layers` layers, and the names of the
    last one's outputs (None when `layers` is 0: the output layer reads the features)."""
    network, levels, inputs = model.estimator, [], None
    for k in range(layers):
        z = [f"{p}z{k}_{j}" for j in range(network.weights[k].shape[1])]
        levels.append(_named(_affine(model, features, inputs, network.weights[k], network.biases[k]), z))
        h = activations(network.activation, z)
        inputs = [f"{p}h{k}_{j}" for j in range(len(h))]
        levels.append(_named(h, inputs))
    return levels, inputs


def _position(spec: dict, value: str) -> str:
    """A category's one-hot position (Wide.codes): its place in the vocabulary, NULL's column (the last) when
    training saw NULLs, else -1 (no column set)."""
    cases = " ".join(f"WHEN {literal(v)} THEN {i}" for i, v in enumerate(spec["vocabulary"]))
    known = f"CASE {value} {cases} ELSE -1 END" if cases else "-1"
    return f"CASE WHEN {value} IS NULL THEN {len(spec['vocabulary'])} ELSE {known} END" if spec["has_null"] else known


def _wide(model: Model, features: list[tuple], p: str) -> tuple[list[list[str]], list[str]]:
    """(levels, logits) of wide-and-deep's linear part (Wide.logits): weights and bias, plus per crossed pair the
    cross weight of the row's pair of categories (0 where either is unseen)."""
    wide = model.estimator.wide
    logits = linear_scores(model, features, wide.coef.T, wide.bias)
    if not wide.pairs:
        return [], logits
    starts = np.cumsum([0] + [width for _, _, width in features])
    category = {  # first one-hot column -> the category feature there (blocks: those with columns)
        int(start): (spec, value)
        for start, (spec, value, width) in zip(starts, features)
        if spec["kind"] != "numeric" and width
    }
    positions = [f"{_position(*category[start])} AS {p}c{i}" for i, (start, _) in enumerate(wide.blocks)]
    ids = [
        f"CASE WHEN {p}c{a} >= 0 AND {p}c{b} >= 0 THEN {p}c{a} * {wide.widths[k]} + {p}c{b} ELSE -1 END AS {p}x{k}"
        for k, (a, b) in enumerate(wide.pairs)
    ]
    cells = [wide.cross[start:end] for start, end in zip(wide.offsets, np.append(wide.offsets[1:], wide.null))]
    for o in range(len(logits)):
        crosses = [_cross(f"{p}x{k}", weights[:, o]) for k, weights in enumerate(cells)]
        logits[o] = balanced_sum([logits[o], *filter(None, crosses)])
    return [positions, ids], logits


def _cross(pair_id: str, weights: np.ndarray) -> str | None:
    """The cross weight of a pair id (None when all are 0)."""
    cases = " ".join(f"WHEN {i} THEN {number(w)}" for i, w in enumerate(weights) if w)
    return f"CASE {pair_id} {cases} ELSE 0.0 END" if cases else None


def network_scores(model: Model, features: list[tuple], p: str) -> tuple[list[list[str]], list[str]]:
    """(levels, scores) of a network family over the input's encoded `features`: an autoencoder's middle layer,
    else the logits (summed with the linear part's for wide-and-deep), a regressor's scaled back to the label."""
    network = model.estimator
    if model.family.autoencodes:
        return _hidden_levels(model, features, p, network.middle + 1)
    levels, inputs = _hidden_levels(model, features, p, len(network.weights) - 1)
    logits = _affine(model, features, inputs, network.weights[-1], network.biases[-1])
    if model.family.onnx_builder == "wide_and_deep":
        wide_levels, wide = _wide(model, features, p)
        levels = wide_levels + levels
        logits = [f"CAST({deep} + {linear} AS DOUBLE)" for deep, linear in zip(logits, wide, strict=True)]
    if not model.is_classifier:
        mean, std = network.label_scale
        logits = [f"{logits[0]} * {number(std)} + {number(mean)}"]
    return levels, logits

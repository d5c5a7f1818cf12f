"""A numpy forward pass of a network model (dnn_*, dnn_linear_combined_*, autoencoder; automl_* won by one),
written independently of sqlml's network code from what the catalog stores: the JSON artifact's weights (rows:
a layer's inputs, columns: its units), biases, activation, label scale and wide-and-deep's linear part, and the
training query. The inputs are encoded as BigQuery ML documents its automatic preprocessing
(https://cloud.google.com/bigquery/docs/auto-preprocessing): a number standardized with the training rows' mean
and standard deviation, NULL imputed with the mean; a category one-hot in sorted order, NULL a category of its own
(last) when the training rows hold NULLs, an unseen category all zeros. Activations as TensorFlow defines them
(https://www.tensorflow.org/api_docs/python/tf/nn)."""

from __future__ import annotations

import json

import numpy as np

SELU_SCALE, SELU_ALPHA = 1.0507009873554805, 1.6732632423543772  # tf.nn.selu's constants


def _sigmoid(z):
    with np.errstate(over="ignore"):  # exp(-z) = inf: 0
        return 1.0 / (1.0 + np.exp(-z))


ACTIVATIONS = {
    "relu": lambda z: np.maximum(z, 0.0),
    "relu6": lambda z: np.minimum(np.maximum(z, 0.0), 6.0),
    "crelu": lambda z: np.hstack([np.maximum(z, 0.0), np.maximum(-z, 0.0)]),
    "elu": lambda z: np.where(z > 0, z, np.expm1(np.minimum(z, 0.0))),
    "selu": lambda z: SELU_SCALE * np.where(z > 0, z, SELU_ALPHA * np.expm1(np.minimum(z, 0.0))),
    "logistic": _sigmoid,
    "tanh": np.tanh,
}


def _encode(train: list, rows: list) -> np.ndarray:
    """One feature's columns for `rows`, with the statistics of `train` (its training values)."""
    if all(v is None or isinstance(v, int | float) and not isinstance(v, bool) for v in train):
        t = np.array([np.nan if v is None else v for v in train], float)
        mean = np.nanmean(t)
        std = np.where(np.isnan(t), mean, t).std()  # of the mean-imputed column
        x = np.array([mean if v is None else v for v in rows], float)
        return ((x - mean) / std)[:, None]
    keys = sorted({v for v in train if v is not None}) + ([None] if None in train else [])
    return np.array([[v == k for k in keys] for v in rows], float)


def _crosses(wide: dict, X: np.ndarray) -> np.ndarray:
    """Per row, the sum over the crossed pairs of categories of the cross weights of the row's pair."""
    cross, out, offset = np.array(wide["cross"]).reshape(-1, len(wide["bias"])), 0.0, 0
    blocks = wide["blocks"]
    for a, b in wide["pairs"]:
        (sa, wa), (sb, wb) = blocks[a], blocks[b]
        ca, cb = X[:, sa : sa + wa], X[:, sb : sb + wb]
        hot = (ca.max(axis=1) > 0) & (cb.max(axis=1) > 0)
        ids = offset + ca.argmax(axis=1) * wb + cb.argmax(axis=1)
        out = out + np.where(hot[:, None], cross[np.where(hot, ids, 0)], 0.0)
        offset += wa * wb
    return out


def forward(state: dict, X: np.ndarray, kind: str) -> np.ndarray:
    """The network's outputs as ML.PREDICT shows them: an autoencoder's middle layer, a classifier's class
    probabilities, a regressor's value."""
    weights, biases = [np.array(w) for w in state["weights"]], [np.array(b) for b in state["biases"]]
    activation = ACTIVATIONS[state["activation"]]
    layers = len(weights) // 2 if kind == "autoencoder" else len(weights) - 1
    h = X
    for w, b in zip(weights[:layers], biases[:layers]):
        h = activation(h @ w + b)
    if kind == "autoencoder":
        return h
    logits = h @ weights[-1] + biases[-1]
    if "wide" in state:
        wide = state["wide"]
        logits = logits + X @ np.array(wide["coef"]) + np.array(wide["bias"]) + _crosses(wide, X)
    if kind == "regressor":
        mean, std = state["label_scale"]
        return logits[:, 0] * std + mean
    if logits.shape[1] == 1:
        p = _sigmoid(logits[:, 0])
        return np.column_stack([1 - p, p])
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def reference(con, table: str, model: str = "m") -> np.ndarray:
    """The numpy forward pass of `model` (its active version) over the rows of `table`."""
    cur = con.cursor()
    cur.execute(
        "SELECT training_sql, label, artifact, transform IS NOT NULL, coalesce(estimator_type, model_type), classes "
        f"FROM sqlml.model_versions WHERE model_name = '{model}' ORDER BY version DESC LIMIT 1"
    )
    training_sql, label, artifact, transformed, model_type, classes = cur.fetchone()
    kind = "autoencoder" if model_type == "autoencoder" else "classifier" if classes else "regressor"

    def read(query: str) -> dict[str, list]:
        cur.execute(f"SELECT * FROM ML.TRANSFORM(MODEL {model}, ({query}))" if transformed else query)
        names = [d[0] for d in cur.description]
        return {name: list(values) for name, values in zip(names, zip(*cur.fetchall()))}

    train = read(f"SELECT * FROM ({training_sql}) WHERE {label} IS NOT NULL" if label else training_sql)
    rows = read(f"SELECT * FROM {table}")
    X = np.hstack([_encode(train[name], rows[name]) for name in train if name != label])
    return forward(json.loads(artifact), X, kind)

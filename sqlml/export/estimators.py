"""Each estimator as ONNX nodes from the feature matrix to its scores, as its predict() computes them:
regression values [N], class probabilities [N, n_classes], distances to centroids [N, n_clusters] or
principal components [N, n_components], an autoencoder's reconstruction [N, n_features] (its middle layer
and reconstruction error are graph outputs of their own). One table from a family's onnx_builder tag (Family.onnx_builder)
to its builder: the engine names the builder, export builds (the engine never imports export)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sqlml.engine.families.lightgbm_onnx import Trees, booster_nodes
from sqlml.engine.families.mlp import SELU_ALPHA, SELU_SCALE
from sqlml.export.graph import Graph

if TYPE_CHECKING:
    from sqlml.engine.families.autoencoder import AutoencoderModel
    from sqlml.engine.families.boosted_tree import BoosterModel
    from sqlml.engine.families.dnn import DNNModel
    from sqlml.engine.families.kmeans import KMeansModel
    from sqlml.engine.families.linear import LinearModel
    from sqlml.engine.families.pca import PCAModel
    from sqlml.engine.families.random_forest import ForestModel
    from sqlml.engine.families.wide_and_deep import Wide, WideDeepModel


def _affine(g: Graph, X: str, coef: np.ndarray, intercept: np.ndarray) -> str:
    """X @ coef.T + intercept as MatMul and Add (the form int8 quantization works on)."""
    return g.op("Add", g.op("MatMul", X, g.const(np.asarray(coef).T, "coef")), g.const(intercept, "intercept"))


def _classes(g: Graph, scores: str, n_classes: int, link: str) -> str:
    """Probabilities [N, n_classes] from scores: one column (sigmoid of the positive class) or softmax."""
    if n_classes == 2:
        positive = g.op("Sigmoid", scores) if link == "logit" else scores
        return g.op("Concat", g.op("Sub", g.const([[1.0]], "one"), positive), positive, axis=1)
    return g.op("Softmax", scores, axis=1) if link == "logit" else scores


def _vector(g: Graph, column: str) -> str:
    """[N, 1] -> [N]."""
    return g.op("Squeeze", column, g.const([1], "axis", dtype=np.int64))


def _linear(g: Graph, model: LinearModel, X: str) -> str:
    scores = _affine(g, X, model.coef, model.intercept)
    return _classes(g, scores, max(2, model.coef.shape[0]), "logit") if model.logistic else _vector(g, scores)


def _elu(g: Graph, z: str, alpha: float = 1.0, scale: float = 1.0) -> str:
    """scale * (max(z, 0) + alpha * (exp(min(z, 0)) - 1)) from ops ONNX Runtime has in double precision."""
    negative = g.op("Sub", g.op("Exp", g.op("Min", z, g.const(0.0, "zero"))), g.const(1.0, "one"))
    elu = g.op("Add", g.op("Relu", z), g.op("Mul", negative, g.const(alpha, "alpha")))
    return g.op("Mul", elu, g.const(scale, "scale")) if scale != 1.0 else elu


def _hidden(g: Graph, activation: str, z: str) -> str:
    """A hidden layer's activation (mlp.HIDDEN) of its pre-activations z."""
    if activation == "crelu":
        return g.op("Concat", g.op("Relu", z), g.op("Relu", g.op("Neg", z)), axis=1)
    if activation == "relu6":
        return g.op("Min", g.op("Relu", z), g.const(6.0, "six"))
    if activation == "elu":
        return _elu(g, z)
    if activation == "selu":
        return _elu(g, z, SELU_ALPHA, SELU_SCALE)
    return g.op({"relu": "Relu", "logistic": "Sigmoid", "tanh": "Tanh"}[activation], z)


def _layers(g: Graph, model: DNNModel, X: str) -> str:
    """A network's logits: its output layer before the output function."""
    for w, b in zip(model.weights[:-1], model.biases[:-1]):
        X = _hidden(g, model.activation, _affine(g, X, w.T, b))
    return _affine(g, X, model.weights[-1].T, model.biases[-1])


def _dnn(g: Graph, model: DNNModel, X: str) -> str:
    return _network_output(g, model, _layers(g, model, X))


def _network_output(g: Graph, model: DNNModel, scores: str) -> str:
    """A network's predictions from its logits: class probabilities, or the label scaled back."""
    if model.n_classes:
        return _classes(g, scores, model.n_classes, "logit")
    mean, std = model.label_scale
    return _vector(g, g.op("Add", g.op("Mul", scores, g.const([[std]], "std")), g.const([[mean]], "mean")))


def _crosses(g: Graph, wide: Wide, X: str) -> str:
    """The cross weights each row reads (Wide.ids), summed over the pairs: a category is its one-hot block's
    ArgMax where the block's largest value is set (> 0.5); a pair reads its row offset + a * width_b + b, or
    the row of zeros where either category is unset."""
    axis = g.const([1], "axis", dtype=np.int64)
    codes, present = [], []
    for start, width in wide.blocks:
        block = g.op(
            "Slice",
            X,
            g.const([start], "start", dtype=np.int64),
            g.const([start + width], "end", dtype=np.int64),
            axis,
        )
        codes.append(g.op("ArgMax", block, axis=1, keepdims=1))
        present.append(g.op("Greater", g.op("ReduceMax", block, axis, keepdims=1), g.const(0.5, "half")))
    codes, present = g.op("Concat", *codes, axis=1), g.op("Concat", *present, axis=1)
    first, second = g.const(wide.first, "first", dtype=np.int64), g.const(wide.second, "second", dtype=np.int64)
    a, b = g.op("Gather", codes, first, axis=1), g.op("Gather", codes, second, axis=1)
    ids = g.op(
        "Add",
        g.op(
            "Add",
            g.const(wide.offsets, "offsets", dtype=np.int64),
            g.op("Mul", a, g.const(wide.widths, "widths", dtype=np.int64)),
        ),
        b,
    )
    both = g.op("And", g.op("Gather", present, first, axis=1), g.op("Gather", present, second, axis=1))
    ids = g.op("Where", both, ids, g.const(wide.null, "null", dtype=np.int64))
    return g.op("ReduceSum", g.op("Gather", g.const(wide.cross, "cross"), ids, axis=0), axis, keepdims=0)


def _wide_and_deep(g: Graph, model: WideDeepModel, X: str) -> str:
    """The DNN's logits plus the linear part's (weights, bias, crosses), then the network's output."""
    wide = _affine(g, X, model.wide.coef.T, model.wide.bias)
    if model.wide.pairs:
        wide = g.op("Add", wide, _crosses(g, model.wide, X))
    return _network_output(g, model, g.op("Add", _layers(g, model, X), wide))


def _booster(g: Graph, model: BoosterModel, X: str) -> str:
    scores = g.name("raw_scores")
    nodes, initializers, _ = booster_nodes(model.booster, X, scores, g.dtype)
    g.nodes += nodes
    g.initializers += initializers
    return _classes(g, scores, model.n_classes, "logit") if model.n_classes else _vector(g, scores)


def _forest(g: Graph, model: ForestModel, X: str) -> str:
    """The mean of the trees (each leaf weighted 1 / trees); scikit-learn compares float32 features with
    float64 thresholds. A classifier's tree appears once per class, with that class's leaf fractions."""
    forest = model.forest
    classifier = hasattr(forest, "classes_")  # a regressor has none
    n_targets = len(forest.classes_) if classifier else 1
    trees = Trees(n_targets)
    for estimator in forest.estimators_:
        tree = estimator.tree_
        values = (
            tree.value[:, 0, :]
            if not classifier
            else tree.value[:, 0, :] / tree.value[:, 0, :].sum(axis=1, keepdims=True)
        )
        values = values / len(forest.estimators_)
        for target in range(n_targets):
            trees.add_arrays(
                tree.feature, tree.threshold, tree.children_left, tree.children_right, values[:, target], target
            )
    X32 = g.op("Cast", X, to=1)
    if g.dtype == np.float64:
        X32 = g.op("Cast", X32, to=11)  # float, then back to double
    scores = g.name("forest")
    g.nodes.append(trees.node(X32, scores, g.dtype))
    return scores if classifier else _vector(g, scores)


def _kmeans(g: Graph, model: KMeansModel, X: str) -> str:
    if model.cosine:  # 1 - unit(x) . unit(c), an all-zero row staying zero
        norms = g.op("Sqrt", g.op("ReduceSum", g.op("Mul", X, X), g.const([1], "axis", dtype=np.int64), keepdims=1))
        safe = g.op("Where", g.op("Greater", norms, g.const([[0.0]], "zero")), norms, g.const([[1.0]], "one"))
        unit = g.op("Div", X, safe)
        lengths = np.linalg.norm(model.centroids, axis=1, keepdims=True)
        centroids = model.centroids / np.where(lengths > 0, lengths, 1.0)
        return g.op("Sub", g.const([[1.0]], "one"), g.op("MatMul", unit, g.const(centroids.T, "centroids")))
    # centroid by centroid, as predict() does: sqrt(sum((x - c)^2))
    differences = g.op(
        "Sub",
        g.op("Unsqueeze", X, g.const([1], "axis", dtype=np.int64)),
        g.const(model.centroids[None, :, :], "centroids"),
    )
    squares = g.op("ReduceSum", g.op("Mul", differences, differences), g.const([2], "axis", dtype=np.int64), keepdims=0)
    return g.op("Sqrt", squares)


def _pca(g: Graph, model: PCAModel, X: str) -> str:
    return g.op("MatMul", g.op("Sub", X, g.const(model.mean[None, :], "mean")), g.const(model.coef.T, "components"))


def _autoencoder(g: Graph, model: AutoencoderModel, X: str) -> str:
    """The reconstruction of the encoded rows X; on the way, the outputs latent_space [N, latent units] (ML.PREDICT's
    latent_col_1 .. _n) and mean_squared_error [N] (ML.RECONSTRUCTION_LOSS's, ML.DETECT_ANOMALIES' score)."""
    encoded = X
    for i, (w, b) in enumerate(zip(model.weights[:-1], model.biases[:-1])):
        X = _hidden(g, model.activation, _affine(g, X, w.T, b))
        if i == model.middle:
            g.output(X, "latent_space", g.elem_type, [None, model.latent_width])
    reconstruction = _affine(g, X, model.weights[-1].T, model.biases[-1])
    difference = g.op("Sub", reconstruction, encoded)
    squares = g.op("ReduceMean", g.op("Mul", difference, difference), g.const([1], "axis", dtype=np.int64), keepdims=0)
    g.output(squares, "mean_squared_error", g.elem_type, [None])
    return reconstruction


BUILDERS = {
    "linear": _linear,
    "dnn": _dnn,
    "wide_and_deep": _wide_and_deep,
    "booster": _booster,
    "forest": _forest,
    "kmeans": _kmeans,
    "pca": _pca,
    "autoencoder": _autoencoder,
}

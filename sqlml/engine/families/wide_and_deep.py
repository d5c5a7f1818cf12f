"""dnn_linear_combined_classifier / dnn_linear_combined_regressor: wide-and-deep models (Cheng et al. 2016), a
linear part and a DNN part trained jointly, stored as JSON weights.

Options (BigQuery ML's, https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-create-wnd-
models): those of dnn_* (families/dnn.py), with learn_rate and optimizer given for both parts at once or per part
([STRUCT('dnn', 0.001), STRUCT('linear', 0.01)]; defaults 0.001 for both, ADAM for the DNN and FTRL for the linear
part), batch_size at most 8192 (default min(32, rows)), and l1_reg / l2_reg the strengths of each part's optimizer
where it has them (ADAGRAD, FTRL, SGD; for ADAM and RMSPROP l2_reg is a penalty in the loss, as for dnn_*).

The model's logits are the sum of the two parts' (TensorFlow's DNNLinearCombined estimators):
- the wide (linear) part: a weight per encoded column (standardized numbers, one-hot categories) and per
  crossed category: every pair of categorical features is crossed (one weight per pair of categories, zero-
  initialized like the linear weights), pairs taken in column order while a pair has at most MAX_PAIR_CELLS
  cells and all crosses at most MAX_CROSS_WEIGHTS weights. A NULL is a category of its own; an unseen category
  crosses with nothing;
- the deep part: a multilayer perceptron (families/mlp.py) over the same columns, its first layer holding a
  row of weights per category: an embedding of each category as wide as that layer.
One loss (log loss, or the squared error of the standardized label) of the summed logits is minimized batch
by batch, each part stepped by its own optimizer with the gradient of that loss (mlp.Network.gradients with an
offset). Epochs, early stopping and warm_start as for dnn_*.
"""

from __future__ import annotations

import json
from itertools import combinations

import numpy as np

from sqlml.engine.families import dnn
from sqlml.engine.families.base import Family, TrainData
from sqlml.engine.families.common import CLASS_WEIGHTS, CLASSIFIER_RULES, data_split
from sqlml.engine.families.dnn import (
    ACTIVATIONS,
    DNNModel,
    check_memory,
    default_hidden_units,
    run_epochs,
    scaled_labels,
    tensorflow_rules,
)
from sqlml.engine.families.mlp import OPTIMIZERS, Network, optimizer_of
from sqlml.engine.families.options import Option
from sqlml.engine.store.artifacts import expect, is_integer, numbers, output_width
from sqlml.errors import ProgrammingError

MAX_PAIR_CELLS = 10_000  # categories of one crossed pair
MAX_CROSS_WEIGHTS = 1_000_000  # weights of all crosses (cells times outputs)


class Wide:
    """The linear part: `coef` (columns, outputs), `bias` (outputs), and the crosses: `pairs` of one-hot `blocks`
    ((first column, width) of a category), `cross` holding a row of weights per pair of categories, pair after
    pair, then a row of zeros (what a row where either category is unseen reads)."""

    def __init__(self, coef, bias, blocks: list, pairs: list, cross):
        self.coef = np.array(coef, dtype=np.float64)  # copies: training updates them in place
        self.bias = np.array(bias, dtype=np.float64)
        self.blocks = [tuple(block) for block in blocks]
        self.pairs = [tuple(pair) for pair in pairs]
        self.cross = np.array(cross, dtype=np.float64).reshape(-1, self.coef.shape[1])
        self.first = np.array([a for a, _ in self.pairs], dtype=np.int64)
        self.second = np.array([b for _, b in self.pairs], dtype=np.int64)
        self.widths = np.array([self.blocks[b][1] for b in self.second], dtype=np.int64)
        sizes = np.array([self.blocks[a][1] for a in self.first], dtype=np.int64) * self.widths
        self.offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        self.null = int(sizes.sum())  # the row of zeros

    @classmethod
    def initial(cls, n_features: int, n_outputs: int, blocks: list[tuple[int, int]]) -> Wide:
        """All weights zero; the pairs of categories crossed within MAX_PAIR_CELLS and MAX_CROSS_WEIGHTS."""
        pairs, cells = [], 0
        for a, b in combinations(range(len(blocks)), 2):
            size = blocks[a][1] * blocks[b][1]
            if size <= MAX_PAIR_CELLS and (cells + size) * n_outputs <= MAX_CROSS_WEIGHTS:
                pairs.append((a, b))
                cells += size
        return cls(
            np.zeros((n_features, n_outputs)), np.zeros(n_outputs), blocks, pairs, np.zeros((cells + 1, n_outputs))
        )

    def codes(self, X: np.ndarray) -> np.ndarray:
        """(rows, blocks): each row's category in each block (its one-hot position), -1 where none is set."""
        codes = np.empty((len(X), len(self.blocks)), dtype=np.int64)
        rows = np.arange(len(X))
        for i, (start, width) in enumerate(self.blocks):
            block = X[:, start : start + width]
            code = block.argmax(axis=1)
            codes[:, i] = np.where(block[rows, code] > 0.5, code, -1)
        return codes

    def ids(self, X: np.ndarray) -> np.ndarray:
        """(rows, pairs): the row of `cross` each row reads for each pair."""
        codes = self.codes(X)
        a, b = codes[:, self.first], codes[:, self.second]
        return np.where((a >= 0) & (b >= 0), self.offsets + a * self.widths + b, self.null)

    def logits(self, X: np.ndarray, ids: np.ndarray | None = None) -> np.ndarray:
        ids = self.ids(X) if ids is None else ids
        return X @ self.coef + self.bias + self.cross[ids].sum(axis=1)

    def gradients(self, X: np.ndarray, ids: np.ndarray, d: np.ndarray, alpha: float) -> list[np.ndarray]:
        """Gradients of coef, bias and cross from d loss / d logits `d`; `alpha`: the L2 penalty's factor
        (weights, not the bias, as the DNN's layers)."""
        cross = np.zeros_like(self.cross)
        np.add.at(cross, ids, np.broadcast_to(d[:, None, :], (*ids.shape, d.shape[1])))
        cross += alpha * self.cross
        cross[self.null] = 0.0
        return [X.T @ d + alpha * self.coef, d.sum(axis=0), cross]

    def state(self) -> dict:
        return {
            "coef": self.coef.tolist(),
            "bias": self.bias.tolist(),
            "blocks": [list(block) for block in self.blocks],
            "pairs": [list(pair) for pair in self.pairs],
            "cross": self.cross[: self.null].tolist(),
        }

    @classmethod
    def load(cls, state: dict, n_features: int, n_outputs: int) -> Wide:
        """The stored linear part: weights as wide as the scores, blocks inside the encoded columns, pairs of
        two distinct blocks, a row of cross weights per pair of their categories."""
        coef = numbers(state["coef"], 2, "the linear part's weights")
        expect(coef.shape, (n_features, n_outputs), "the shape of the linear part's weights")
        bias = numbers(state["bias"], 1, "the linear part's bias")
        expect(len(bias), n_outputs, "the length of the linear part's bias")
        blocks, pairs = state["blocks"], state["pairs"]
        for what, items, limit in (("block", blocks, n_features + 1), ("pair", pairs, len(blocks))):
            if not isinstance(items, list) or not all(
                isinstance(item, list) and len(item) == 2 and all(is_integer(v) and 0 <= v < limit for v in item)
                for item in items
            ):
                raise ValueError(f"the linear part's {what}s are not pairs of integers below {limit}")
        if any(width < 1 or start + width > n_features for start, width in blocks):
            raise ValueError("a crossed category's columns are outside the encoded columns")
        if any(a >= b for a, b in pairs):
            raise ValueError("a cross is not of two distinct categories in order")
        cells = sum(blocks[a][1] * blocks[b][1] for a, b in pairs)
        cross = numbers(state["cross"], 2, "the cross weights") if cells else np.zeros((0, n_outputs))
        expect(cross.shape, (cells, n_outputs), "the shape of the cross weights")
        return cls(coef, bias, blocks, pairs, np.vstack([cross, np.zeros((1, n_outputs))]))


class WideDeepModel(DNNModel):
    """The DNN part (DNNModel's layers) and the linear part (`wide`), their logits summed."""

    def __init__(self, weights, biases, activation, n_classes, label_scale, wide: Wide):
        super().__init__(weights, biases, activation, n_classes, label_scale)
        self.wide = wide

    def logits(self, X: np.ndarray) -> np.ndarray:
        return Network(self.weights, self.biases, self.activation, 0).forward(X) + self.wide.logits(X)

    def forward(self, X: np.ndarray) -> np.ndarray:
        return self.output(self.logits(X))

    def raw_scores(self, X: np.ndarray) -> np.ndarray:
        """A regression's values, else the summed logits."""
        return self.predict(X)[:, None] if not self.n_classes else self.logits(X)

    def artifact(self) -> bytes:
        return json.dumps(json.loads(super().artifact()) | {"wide": self.wide.state()}).encode()

    @classmethod
    def load(cls, data: bytes, n_classes: int) -> WideDeepModel:
        deep = DNNModel.load(data, n_classes)
        wide = Wide.load(json.loads(data)["wide"], deep.n_features, output_width(n_classes))
        return cls(deep.weights, deep.biases, deep.activation, n_classes, deep.label_scale, wide)


class JointTraining:
    """Epochs of mini-batch training of both parts on one loss (mlp.Training's batches, shuffles and dropout),
    each part stepped by its own optimizer."""

    def __init__(self, model: WideDeepModel, rs: np.random.RandomState, options: dict, batch_size: int):
        rate, optimizer = dict(options["learn_rate"]), dict(options["optimizer"])
        l1, l2 = options["l1_reg"], options["l2_reg"]
        self.model, self.rs, self.batch_size, self.dropout = model, rs, batch_size, options["dropout"]
        self.deep = model.weights + model.biases
        self.wide = [model.wide.coef, model.wide.bias, model.wide.cross]
        self.deep_alpha, self.deep_optimizer = optimizer_of(optimizer["dnn"], self.deep, rate["dnn"], l1, l2)
        self.wide_alpha, self.wide_optimizer = optimizer_of(optimizer["linear"], self.wide, rate["linear"], l1, l2)
        self.masks = np.random.default_rng(options["seed"])

    def epoch(self, X: np.ndarray, Y: np.ndarray, weights: np.ndarray | None) -> None:
        from sklearn.utils import gen_batches

        wide, order = self.model.wide, self.rs.permutation(len(X))
        for batch in gen_batches(len(X), self.batch_size):
            rows = order[batch]
            Xb, wb = X[rows], None if weights is None else weights[rows]
            ids = wide.ids(Xb)
            grads = self.model.gradients(
                Xb, Y[rows], wb, self.deep_alpha, self.dropout, self.masks, offset=wide.logits(Xb, ids)
            )
            d = grads.pop()  # d loss / d the summed logits, over the batch's total weight
            self.deep_optimizer.step(self.deep, grads)
            total = len(rows) if wb is None else wb.sum()
            self.wide_optimizer.step(self.wide, wide.gradients(Xb, ids, d, self.wide_alpha / total))


def fit_wide_and_deep(data: TrainData) -> WideDeepModel:
    options = data.options
    rs = np.random.RandomState(options["seed"])  # the DNN's initial weights, then each epoch's shuffle
    label_scale, y, y_eval = scaled_labels(data)
    batch_size = min(options["batch_size"] or 32, len(data.X))
    n_outputs = output_width(data.n_classes)
    if data.init is not None:  # warm_start: continue from the previous version's weights
        init = data.init
        wide = Wide(init.wide.coef, init.wide.bias, init.wide.blocks, init.wide.pairs, init.wide.cross)
        deep = Network(init.weights, init.biases, init.activation, data.n_classes)
    else:
        hidden = options["hidden_units"] or default_hidden_units(len(data.X), data.X.shape[1], n_outputs)
        sizes = [data.X.shape[1], *hidden, n_outputs]
        check_memory(sizes, batch_size)
        deep = Network.initial(sizes, ACTIVATIONS[options["activation_fn"]], data.n_classes, rs)
        wide = Wide.initial(data.X.shape[1], n_outputs, data.category_blocks)
    model = WideDeepModel(deep.weights, deep.biases, deep.activation, data.n_classes, label_scale, wide)
    training = JointTraining(model, rs, options, batch_size)
    return run_epochs(model, training, data, y, y_eval, dict(options["learn_rate"])["dnn"])


def wide_and_deep_rules(options: dict) -> None:
    """l1_reg needs a part whose optimizer has an L1 strength; tensorflow_rules."""
    optimizers = dict(options["optimizer"])
    if options["l1_reg"] and not any(OPTIMIZERS[name].strengths for name in optimizers.values()):
        raise ProgrammingError(
            "OPTIONS: l1_reg applies to a part whose optimizer is ADAGRAD, FTRL or SGD (the optimizers with an L1 "
            f"strength, as in BigQuery ML), not {optimizers['dnn']} (dnn) and {optimizers['linear']} (linear)"
        )
    tensorflow_rules(options)


# dnn_*'s options, with BigQuery ML's per-part optimizer and learn_rate, and its batch_size bound
OPTIONS = {
    **dnn.OPTIONS,
    "batch_size": Option("int", low=1, high=8192),  # None: min(32, rows), as BigQuery ML
    "optimizer": Option("parts", tuple(OPTIMIZERS), default=[["dnn", "ADAM"], ["linear", "FTRL"]], tunable=False),
    "learn_rate": Option("parts", low=0.0, open_low=True, default=[["dnn", 0.001], ["linear", 0.001]], tunable=False),
}
_SHARED = dict(
    fit=fit_wide_and_deep,
    load=WideDeepModel.load,
    artifact_format="json",
    # BigQuery ML's default ranges of wide-and-deep models' tunable hyperparameters
    # (https://cloud.google.com/bigquery/docs/hp-tuning-overview), but l1_reg's: not every optimizer takes one
    search_space={
        "batch_size": {"hparam_range": [16, 1024]},
        "dropout": {"hparam_range": [0.0, 0.8]},
        "l2_reg": {"hparam_range": [0.0, 10.0]},
        "hidden_units": {"hparam_candidates": [[32], [64, 32], [128, 64]]},
    },
    warm_start_kept=("hidden_units", "activation_fn"),
    explainer="sampled",
    onnx_builder="wide_and_deep",
    quantize=("INT8", "FLOAT16"),
    quantize_auto="INT8",
)
FAMILIES = (
    Family("dnn_linear_combined_regressor", "regression", OPTIONS, rules=(data_split, wide_and_deep_rules), **_SHARED),
    Family(
        "dnn_linear_combined_classifier",
        "classification",
        {**OPTIONS, **CLASS_WEIGHTS},
        max_classes=1000,
        rules=(data_split, wide_and_deep_rules, *CLASSIFIER_RULES),
        **_SHARED,
    ),
)

"""dnn_regressor / dnn_classifier: a multilayer perceptron (families/mlp.py), stored as JSON weights.

Options (BigQuery ML's, https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-create-dnn-
models): hidden_units (default: one layer of min(128, rows / (10 * (inputs + outputs))) units, at least 1, as
BigQuery ML), activation_fn RELU / RELU6 / CRELU (each layer's outputs twice its units) / ELU / SELU /
SIGMOID / TANH, optimizer ADAGRAD / ADAM / FTRL /
RMSPROP / SGD (TensorFlow 1.15's optimizers, BigQuery's default tf_version), learn_rate, batch_size (default
min(1024, rows)), dropout (the rate at which hidden units are dropped while training), l1_reg and l2_reg: the
optimizer's L1 / L2 strengths for ADAGRAD, FTRL and SGD (TensorFlow's proximal updates, on every weight and
bias, as BigQuery ML); for ADAM and RMSPROP, where BigQuery ML takes neither, l2_reg is sqlml's penalty in the
objective (sum of losses + l2_reg * |W|^2, as for linear models, i.e. scikit-learn's alpha = 2 * l2_reg) and
l1_reg is refused. Without dropout an ADAM version equals scikit-learn's MLPRegressor / MLPClassifier with
those settings. A regressor learns the standardized label ((y - mean) / std, as scikit-learn's
TransformedTargetRegressor with a StandardScaler) and scales its output back. Training runs one epoch at a
time, up to max_iterations; with early_stop it ends once an epoch improves the evaluation-split loss (the
training loss without a split) by less than min_rel_progress of the best so far. warm_start continues from the
previous version's weights (and label scaling). Refused with the reason: tf_version 2.8.0,
integrated_gradients_num_steps.
"""

from __future__ import annotations

import json
import os
import time
from itertools import pairwise

import numpy as np

from sqlml.engine.families.base import Family, TrainData, record_iteration, training_sample
from sqlml.engine.families.common import (
    CLASS_WEIGHTS,
    CLASSIFIER_RULES,
    COMPUTE,
    EARLY_STOP,
    GLOBAL_EXPLAIN,
    SPLIT,
    TUNING,
    WARM_START,
    data_split,
    iterations,
    learn_rate,
    regularization,
)
from sqlml.engine.families.mlp import HIDDEN, OPTIMIZERS, WIDTH, Network, Training
from sqlml.engine.families.options import Option
from sqlml.engine.store.artifacts import expect, numbers, output_width
from sqlml.errors import ProgrammingError

ACTIVATIONS = {
    "RELU": "relu",
    "RELU6": "relu6",
    "CRELU": "crelu",
    "ELU": "elu",
    "SELU": "selu",
    "SIGMOID": "logistic",
    "TANH": "tanh",
}


class DNNModel(Network):
    """A trained network: predict gives values (n,) or class probabilities (n, n_classes)."""

    def __init__(
        self,
        weights: list,
        biases: list,
        activation: str,
        n_classes: int,
        label_scale: tuple[float, float] = (0.0, 1.0),
    ):
        super().__init__(weights, biases, activation, n_classes)
        self.label_scale = label_scale  # (mean, std) of a regressor's label

    def predict(self, X: np.ndarray) -> np.ndarray:
        out = self.forward(X)
        if self.n_classes == 2:  # one logistic output unit: the positive class
            return np.column_stack([1.0 - out[:, 0], out[:, 0]])
        if self.n_classes:
            return out
        mean, std = self.label_scale
        return out[:, 0] * std + mean

    def raw_scores(self, X: np.ndarray) -> np.ndarray:
        """The scores ML.EXPLAIN_PREDICT explains: a regression's values, else the logits the output sigmoid /
        softmax turns into probabilities."""
        if not self.n_classes:
            return self.predict(X)[:, None]
        return Network(self.weights, self.biases, self.activation, 0).forward(X)  # 0: no output function

    def artifact(self) -> bytes:
        return json.dumps(
            {
                "weights": [w.tolist() for w in self.weights],
                "biases": [b.tolist() for b in self.biases],
                "activation": self.activation,
                "label_scale": list(self.label_scale),
            }
        ).encode()

    @property
    def n_features(self) -> int:
        return self.weights[0].shape[0]

    @classmethod
    def load(cls, data: bytes, n_classes: int) -> DNNModel:
        """The stored layers: a known activation, each weight matrix's rows the previous layer's outputs
        (twice its units for CRELU), the last layer as wide as the scores (artifacts.output_width), a finite
        label scale."""
        state = json.loads(data)
        if state["activation"] not in HIDDEN:
            raise ValueError(f"activation {state['activation']!r} is unknown")
        width = WIDTH.get(state["activation"], 1)
        if not isinstance(state["weights"], list) or not isinstance(state["biases"], list) or not state["weights"]:
            raise ValueError("weights and biases are not lists of layers")
        weights = [numbers(w, 2, f"layer {i}'s weights") for i, w in enumerate(state["weights"])]
        biases = [numbers(b, 1, f"layer {i}'s biases") for i, b in enumerate(state["biases"])]
        expect(len(biases), len(weights), "the number of bias vectors")
        for i, (w, b) in enumerate(zip(weights, biases)):
            expect(len(b), w.shape[1], f"layer {i}'s biases")
            if i:
                expect(w.shape[0], weights[i - 1].shape[1] * width, f"layer {i}'s inputs")
        expect(weights[-1].shape[1], output_width(n_classes), "the output layer's width")
        label_scale = numbers(state["label_scale"], 1, "label_scale")
        expect(len(label_scale), 2, "the length of label_scale")
        return cls(weights, biases, state["activation"], n_classes, tuple(label_scale.tolist()))


def memory_limit() -> int:
    """Bytes a network may need to train: half the machine's physical memory (8 GiB where it is unknown)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2
    except (AttributeError, ValueError, OSError):  # no sysconf (Windows)
        return 8 * 2**30


def check_memory(sizes: list[int], batch_rows: int) -> None:
    """ProgrammingError, before anything is allocated, when training a network of layer `sizes` would need more
    than memory_limit(): each weight and bias four times in float64 (itself, its gradient, Adam's two moments),
    and per batch row each layer's activations, dropout mask and deltas."""
    parameters = sum((fan_in + 1) * fan_out for fan_in, fan_out in pairwise(sizes))
    needed, limit = 8 * (4 * parameters + 3 * batch_rows * sum(sizes)), memory_limit()
    if needed > limit:
        raise ProgrammingError(
            f"OPTIONS: hidden_units {sizes[1:-1]} need about {needed / 2**30:.1f} GiB to train on "
            f"{sizes[0]} encoded input columns; the limit is {limit / 2**30:.1f} GiB (half of "
            "this machine's memory): use fewer or smaller layers"
        )


def default_hidden_units(n_rows: int, n_inputs: int, n_outputs: int) -> list[int]:
    return [max(1, min(128, n_rows // (10 * (n_inputs + n_outputs))))]


def _targets(y: np.ndarray, n_classes: int) -> np.ndarray:
    """The network's target matrix: the value, the positive class (0/1) or one-hot classes."""
    if n_classes > 2:
        return np.eye(n_classes)[y.astype(int)]
    return np.asarray(y, dtype=np.float64).reshape(-1, 1)


def _loss(model: DNNModel, X: np.ndarray, y: np.ndarray) -> float:
    from sklearn.metrics import log_loss, mean_squared_error

    if model.n_classes:
        return log_loss(y, model.predict(X), labels=list(range(model.n_classes)))
    return mean_squared_error(y, model.forward(X)[:, 0])


def scaled_labels(data: TrainData) -> tuple[tuple[float, float], np.ndarray, np.ndarray | None]:
    """(label scale, training labels, evaluation labels) as the network learns them: a regressor's standardized
    (with the scale of the version a warm start continues), a classifier's as they are."""
    if data.n_classes:
        return (0.0, 1.0), data.y, data.y_eval
    y = data.y
    label_scale = data.init.label_scale if data.init else (float(y.mean()), float(y.std()) or 1.0)
    y, y_eval = [None if v is None else (v - label_scale[0]) / label_scale[1] for v in (y, data.y_eval)]
    return label_scale, y, y_eval


def fit_dnn(data: TrainData) -> DNNModel:
    options = data.options
    rs = np.random.RandomState(options["seed"])  # initial weights, then each epoch's shuffle
    label_scale, y, y_eval = scaled_labels(data)
    activation = ACTIVATIONS[options["activation_fn"]]
    batch_size = min(options["batch_size"] or 1024, len(data.X))
    if data.init is not None:  # warm_start: continue from the previous version's weights
        model = DNNModel(data.init.weights, data.init.biases, activation, data.n_classes, label_scale)
    else:
        n_outputs = 1 if data.n_classes in (0, 2) else data.n_classes
        hidden = options["hidden_units"] or default_hidden_units(len(data.X), data.X.shape[1], n_outputs)
        sizes = [data.X.shape[1], *hidden, n_outputs]
        check_memory(sizes, batch_size)
        start = Network.initial(sizes, activation, data.n_classes, rs)
        model = DNNModel(start.weights, start.biases, activation, data.n_classes, label_scale)
    training = Training(
        model,
        rs,
        optimizer=options["optimizer"],
        learn_rate=options["learn_rate"],
        l1=options["l1_reg"],
        l2=options["l2_reg"],
        batch_size=batch_size,
        dropout=options["dropout"],
        seed=options["seed"],
    )
    return run_epochs(model, training, data, y, y_eval, options["learn_rate"])


def run_epochs(model: DNNModel, training, data: TrainData, y: np.ndarray, y_eval: np.ndarray | None, rate: float):
    """Train `model` one `training.epoch` at a time, recording each (`rate`: the learning rate shown), until
    max_iterations or early_stop; `y`, `y_eval`: the labels as the network learns them."""
    options = data.options
    targets = _targets(y, data.n_classes)
    has_eval = data.X_eval is not None and len(data.X_eval)
    sample = training_sample(len(data.X), options["seed"])  # the training loss is measured on these rows
    best, started = np.inf, time.perf_counter()
    for epoch in range(options["max_iterations"]):
        training.epoch(data.X, targets, data.weights)
        data.progress("training", epoch + 1, options["max_iterations"])
        # both losses alike: mean squared error (of the standardized label) or log loss, no penalty, no dropout
        train_loss = _loss(model, data.X[sample], y[sample])
        eval_loss = _loss(model, data.X_eval, y_eval) if has_eval else None
        started = record_iteration(data.history, started, train_loss, eval_loss, rate)
        if options["early_stop"]:  # the evaluation-split loss, else the training loss
            loss = train_loss if eval_loss is None else eval_loss
            if best < np.inf and best - loss < options["min_rel_progress"] * abs(best):
                break
            best = min(best, loss)
    return model


def dnn_rules(options: dict) -> None:
    """l1_reg goes with an optimizer that has an L1 strength; tensorflow_rules."""
    if options["l1_reg"] and not OPTIMIZERS[options["optimizer"]].strengths:
        raise ProgrammingError(
            f"OPTIONS: l1_reg applies to optimizer ADAGRAD, FTRL or SGD (the optimizers with an L1 strength, as "
            f"in BigQuery ML), not {options['optimizer']}"
        )
    tensorflow_rules(options)


def tensorflow_rules(options: dict) -> None:
    """The documented values of TensorFlow options sqlml does not train with, refused with the reason."""
    if options["tf_version"] != "1.15":
        raise ProgrammingError(
            f"OPTIONS: tf_version {options['tf_version']} is not supported: sqlml's optimizers follow TensorFlow "
            "1.15's definitions (BigQuery ML's default); leave tf_version out or set it to '1.15'"
        )
    if options["integrated_gradients_num_steps"] is not None:
        raise ProgrammingError(
            "OPTIONS: integrated_gradients_num_steps is not supported: sqlml explains a DNN's predictions with "
            "sampled Shapley values (ML.EXPLAIN_PREDICT), not integrated gradients; leave it out"
        )


def propose(trial) -> dict:
    """AutoML: a candidate's hyperparameters from an optuna trial."""
    return {
        "hidden_units": [[32], [64, 32], [128, 64]][trial.suggest_int("hidden_layout", 0, 2)],
        "learn_rate": trial.suggest_float("learn_rate_dnn", 0.001, 0.05, log=True),
        "max_iterations": trial.suggest_int("epochs", 20, 100),
    }


OPTIONS = {
    **SPLIT,
    **COMPUTE,
    "hidden_units": Option("int_list", low=1, high=100_000),
    "activation_fn": Option("enum", tuple(ACTIVATIONS), default="RELU"),
    "batch_size": Option("int", low=1, high=2**31 - 1),
    "dropout": Option("float", low=0.0, high=1.0, open_high=True, default=0.0),
    "optimizer": Option("enum", tuple(OPTIMIZERS), default="ADAM"),
    **learn_rate(0.001),
    **regularization(0.0, 0.0),
    "tf_version": Option("enum", ("1.15", "2.8.0"), default="1.15", tunable=False),
    "integrated_gradients_num_steps": Option("int", low=1, high=1000, tunable=False),
    **iterations(20),
    **EARLY_STOP,
    **TUNING,
    **COMPUTE,
    **WARM_START,
    **GLOBAL_EXPLAIN,
}
_SHARED = dict(
    fit=fit_dnn,
    load=DNNModel.load,
    artifact_format="json",
    search_space={
        "learn_rate": {"hparam_range": [0.0001, 0.1]},
        "l2_reg": {"hparam_range": [0.0, 10.0]},
        "hidden_units": {"hparam_candidates": [[32], [64, 32], [128, 64]]},
    },
    propose=propose,
    warm_start_kept=("hidden_units", "activation_fn"),
    explainer="sampled",
    onnx_builder="dnn",
    quantize=("INT8", "FLOAT16"),
    quantize_auto="INT8",
)
FAMILIES = (
    Family("dnn_regressor", "regression", OPTIONS, rules=(data_split, dnn_rules), **_SHARED),
    Family(
        "dnn_classifier",
        "classification",
        {**OPTIONS, **CLASS_WEIGHTS},
        max_classes=1000,
        rules=(data_split, dnn_rules, *CLASSIFIER_RULES),
        **_SHARED,
    ),
)

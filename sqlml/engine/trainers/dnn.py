"""dnn_regressor / dnn_classifier on scikit-learn's MLPRegressor / MLPClassifier, stored as JSON weights.

Option mapping: hidden_units -> hidden_layer_sizes (default: one layer of min(128, rows / (10 * (inputs +
outputs))) units, at least 1, as BigQuery ML), activation_fn RELU / SIGMOID / TANH -> 'relu' / 'logistic' /
'tanh', optimizer ADAM / SGD -> solver 'adam' / 'sgd', learn_rate -> learning_rate_init, batch_size
(default min(1024, rows)), l2_reg -> alpha = 2 * l2_reg (sqlml's objective: sum of losses + l2_reg *
|W|^2, as for linear models). A regressor learns the standardized label ((y - mean) / std, as
scikit-learn's TransformedTargetRegressor with a StandardScaler) and scales its output back. Training runs one epoch at a time, up to max_iterations; with early_stop it
ends once an epoch improves the evaluation-split loss (the training loss without a split) by less than
min_rel_progress of the best so far. warm_start continues from the previous version's weights (and
label scaling). dropout > 0 is not supported (scikit-learn's MLP has no dropout).
"""

from __future__ import annotations

import json
import time
import warnings

import numpy as np
from scipy.special import expit, softmax
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss, mean_squared_error
from sklearn.neural_network import MLPClassifier, MLPRegressor

from sqlml.engine.trainers.base import TrainData, record_iteration, training_sample
from sqlml.errors import NotSupportedError

ACTIVATIONS = {"RELU": "relu", "SIGMOID": "logistic", "TANH": "tanh"}
_FORWARD = {"relu": lambda z: np.maximum(z, 0.0), "logistic": expit, "tanh": np.tanh}


class DNNModel:
    """A multilayer perceptron's forward pass: values (n,) or class probabilities (n, n_classes)."""

    def __init__(self, weights: list, biases: list, activation: str, n_classes: int,
                 label_scale: tuple[float, float] = (0.0, 1.0)):
        self.weights = [np.asarray(w, dtype=np.float64) for w in weights]
        self.biases = [np.asarray(b, dtype=np.float64) for b in biases]
        self.activation = activation
        self.n_classes = n_classes
        self.label_scale = label_scale  # (mean, std) of a regressor's label

    def predict(self, X: np.ndarray) -> np.ndarray:
        for w, b in zip(self.weights[:-1], self.biases[:-1]):
            X = _FORWARD[self.activation](X @ w + b)
        out = X @ self.weights[-1] + self.biases[-1]
        if self.n_classes == 2:  # one logistic output unit: the positive class
            positive = expit(out[:, 0])
            return np.column_stack([1.0 - positive, positive])
        if self.n_classes:
            return softmax(out, axis=1)
        mean, std = self.label_scale
        return out[:, 0] * std + mean

    def artifact(self) -> bytes:
        return json.dumps({"weights": [w.tolist() for w in self.weights], "biases": [b.tolist() for b in self.biases],
                           "activation": self.activation, "label_scale": list(self.label_scale)}).encode()

    @classmethod
    def load(cls, data: bytes, n_classes: int) -> "DNNModel":
        state = json.loads(data)
        return cls(state["weights"], state["biases"], state["activation"], n_classes, tuple(state["label_scale"]))


def default_hidden_units(n_rows: int, n_inputs: int, n_outputs: int) -> list[int]:
    return [max(1, min(128, n_rows // (10 * (n_inputs + n_outputs))))]


def mlp_estimator(data: TrainData):
    """The scikit-learn MLP that dnn_* trains, one partial_fit per epoch (see module docstring)."""
    options = data.options
    if options["dropout"] > 0:
        raise NotSupportedError("OPTIONS: dropout > 0 is not supported: sqlml's DNNs are scikit-learn MLPs, "
                                "which have no dropout; regularize with l2_reg or early_stop instead")
    n_outputs = 1 if data.n_classes in (0, 2) else data.n_classes
    hidden = options["hidden_units"] or default_hidden_units(len(data.X), data.X.shape[1], n_outputs)
    cls = MLPClassifier if data.n_classes else MLPRegressor
    # a RandomState instance, not a seed: partial_fit then continues one random stream across epochs,
    # exactly as a single fit() call would
    return cls(hidden_layer_sizes=tuple(hidden), activation=ACTIVATIONS[options["activation_fn"]],
               solver=options["optimizer"].lower(), alpha=2 * options["l2_reg"],
               batch_size=options["batch_size"] or min(1024, len(data.X)),
               learning_rate_init=options["learn_rate"], random_state=np.random.RandomState(options["seed"]))


def _loss(model, X: np.ndarray, y: np.ndarray, n_classes: int) -> float:
    if n_classes:
        return log_loss(y, model.predict_proba(X), labels=list(range(n_classes)))
    return mean_squared_error(y, model.predict(X))


def _resume(model, previous: DNNModel, n_features: int) -> None:
    """warm_start: give a fresh scikit-learn MLP the previous version's weights, so that partial_fit
    continues from them instead of drawing new ones (the attributes its first call would set)."""
    model.coefs_ = [w.copy() for w in previous.weights]
    model.intercepts_ = [b.copy() for b in previous.biases]
    model.n_features_in_, model.n_layers_ = n_features, len(previous.weights) + 1
    model.n_outputs_ = previous.weights[-1].shape[1]
    model.out_activation_ = "identity" if not previous.n_classes else \
        "logistic" if previous.n_classes == 2 else "softmax"
    model.t_, model.loss_curve_, model.best_loss_, model._no_improvement_count = 0, [], np.inf, 0


def fit_dnn(data: TrainData) -> DNNModel:
    options = data.options
    model = mlp_estimator(data)
    extra = {"classes": np.arange(data.n_classes)} if data.n_classes else {}
    has_eval = data.X_eval is not None and len(data.X_eval)
    y, y_eval = data.y, data.y_eval
    label_scale = (0.0, 1.0)
    if not data.n_classes:
        label_scale = data.init.label_scale if data.init else (float(y.mean()), float(y.std()) or 1.0)
        y, y_eval = [None if v is None else (v - label_scale[0]) / label_scale[1] for v in (y, y_eval)]
    if data.init is not None:
        _resume(model, data.init, data.X.shape[1])
    sample = training_sample(len(data.X), options["seed"])  # the training loss is measured on these rows
    best, started = np.inf, time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _ in range(options["max_iterations"]):
            model.partial_fit(data.X, y, sample_weight=data.weights, **extra)
            extra = {}
            # both losses alike: mean squared error (of the standardized label) or log loss, no penalty
            train_loss = _loss(model, data.X[sample], y[sample], data.n_classes)
            eval_loss = _loss(model, data.X_eval, y_eval, data.n_classes) if has_eval else None
            started = record_iteration(data.history, started, train_loss, eval_loss, options["learn_rate"])
            if options["early_stop"]:  # the evaluation-split loss, else the training loss
                loss = train_loss if eval_loss is None else eval_loss
                if best < np.inf and best - loss < options["min_rel_progress"] * abs(best):
                    break
                best = min(best, loss)
    return DNNModel(model.coefs_, model.intercepts_, model.activation, data.n_classes, label_scale)

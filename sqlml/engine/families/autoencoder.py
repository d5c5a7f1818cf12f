"""autoencoder: a multilayer perceptron (families/mlp.py) that learns to reproduce its encoded input through
a narrow middle layer, stored as JSON weights.

Options (BigQuery ML's, https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-create-
autoencoder): hidden_units (symmetric around its middle layer, the latent space: [64, 8, 64]; default one layer
of min(128, rows / (20 * encoded inputs)) units, at least 1, BigQuery ML's rule with as many outputs as
inputs), activation_fn RELU / RELU6 / ELU / SELU / SIGMOID / TANH on every hidden layer, the output layer
linear; optimizer ADAGRAD / ADAM / FTRL / RMSPROP / SGD (TensorFlow 1.15's, as for dnn_*), learn_rate,
batch_size (default min(32, rows)), dropout (hidden units dropped while training), l1_reg_activation (an L1
penalty on the middle layer's activations), max_iterations epochs, early_stop / min_rel_progress (on the
training loss: an autoencoder holds no rows out, as BigQuery ML's unsupervised models), warm_start (continues
from the previous version's weights), tuning.

The input is encoded as for linear models (numbers standardized, categories one-hot), and the network learns
to output that encoded row. Each batch minimizes, per row, 1/2 * sum of squared differences +
p/2 * l1_reg_activation * sum |latent| (p: the encoded width): p/2 times BigQuery ML's Keras loss, the mean
squared difference plus the activity penalty, so the two terms weigh as in BigQuery ML. ML.TRAINING_INFO's loss
is the reconstruction's mean squared error over the training rows (a sample of up to 10,000).

The model keeps the quantiles of its training rows' reconstruction mean squared errors, from which
ML.DETECT_ANOMALIES takes its threshold.
"""

from __future__ import annotations

import json
import time

import numpy as np

from sqlml.engine.families.base import Family, ScoreQuantiles, TrainData, record_iteration, training_sample
from sqlml.engine.families.common import COMPUTE, EARLY_STOP, SEED, TUNING, WARM_START, iterations, learn_rate
from sqlml.engine.families.dnn import ACTIVATIONS as DNN_ACTIVATIONS
from sqlml.engine.families.dnn import check_memory, default_hidden_units
from sqlml.engine.families.mlp import HIDDEN, OPTIMIZERS, Network, Training
from sqlml.engine.families.options import Option
from sqlml.engine.metrics import reconstruction_losses
from sqlml.engine.store.artifacts import expect, numbers
from sqlml.errors import ProgrammingError

ACTIVATIONS = {name: activation for name, activation in DNN_ACTIVATIONS.items() if name != "CRELU"}


class AutoencoderModel(Network):
    """A trained autoencoder: predict gives the reconstruction of encoded rows (n, inputs), embed their middle
    layer (n, latent units)."""

    def __init__(self, weights: list, biases: list, activation: str, anomaly_quantiles: ScoreQuantiles | None = None):
        super().__init__(weights, biases, activation, 0)  # 0: a linear output layer
        self.anomaly_quantiles = anomaly_quantiles

    @property
    def middle(self) -> int:
        """The index of the latent layer among the hidden layers."""
        return (len(self.weights) - 1) // 2

    @property
    def latent_width(self) -> int:
        return self.weights[self.middle].shape[1]

    @property
    def n_features(self) -> int:
        return self.weights[0].shape[0]

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.forward(X)

    def embed(self, X: np.ndarray) -> np.ndarray:
        for w, b in zip(self.weights[: self.middle + 1], self.biases[: self.middle + 1]):
            X = HIDDEN[self.activation](X @ w + b)
        return X

    def losses(self, X: np.ndarray) -> dict[str, np.ndarray]:
        """Per row: mean_absolute_error, mean_squared_error and mean_squared_log_error of its reconstruction."""
        return reconstruction_losses(X, self.predict(X))

    def artifact(self) -> bytes:
        state = {
            "weights": [w.tolist() for w in self.weights],
            "biases": [b.tolist() for b in self.biases],
            "activation": self.activation,
        }
        if self.anomaly_quantiles is not None:
            state["anomaly_quantiles"] = self.anomaly_quantiles.state()
        return json.dumps(state).encode()

    @classmethod
    def load(cls, data: bytes, n_classes: int = 0) -> AutoencoderModel:
        """The stored layers: a known activation, an odd number of hidden layers, each weight matrix's rows the
        previous layer's units, the output as wide as the input; and the anomaly score quantiles."""
        state = json.loads(data)
        expect(n_classes, 0, "the number of classes of an autoencoder")
        if state["activation"] not in HIDDEN or state["activation"] == "crelu":
            raise ValueError(f"activation {state['activation']!r} is unknown")
        if not isinstance(state["weights"], list) or not isinstance(state["biases"], list):
            raise ValueError("weights and biases are not lists of layers")
        weights = [numbers(w, 2, f"layer {i}'s weights") for i, w in enumerate(state["weights"])]
        biases = [numbers(b, 1, f"layer {i}'s biases") for i, b in enumerate(state["biases"])]
        expect(len(biases), len(weights), "the number of bias vectors")
        if len(weights) % 2:
            raise ValueError(f"{len(weights) - 1} hidden layers: an autoencoder has an odd number")
        for i, (w, b) in enumerate(zip(weights, biases)):
            expect(len(b), w.shape[1], f"layer {i}'s biases")
            if i:
                expect(w.shape[0], weights[i - 1].shape[1], f"layer {i}'s inputs")
        expect(weights[-1].shape[1], weights[0].shape[0], "the output layer's width")
        return cls(weights, biases, state["activation"], ScoreQuantiles.load(state.get("anomaly_quantiles")))


def _start(data: TrainData, activation: str, batch_size: int, rs: np.random.RandomState) -> AutoencoderModel:
    """The network training starts from: the previous version's (warm_start), else Glorot-uniform weights."""
    if data.init is not None:
        return AutoencoderModel(data.init.weights, data.init.biases, activation)
    width = data.X.shape[1]
    hidden = data.options["hidden_units"] or default_hidden_units(len(data.X), width, width)
    sizes = [width, *hidden, width]
    check_memory(sizes, batch_size)
    start = Network.initial(sizes, activation, 0, rs)
    return AutoencoderModel(start.weights, start.biases, activation)


def fit_autoencoder(data: TrainData) -> AutoencoderModel:
    options, X = data.options, data.X
    rs = np.random.RandomState(options["seed"])  # initial weights, then each epoch's shuffle
    batch_size = min(options["batch_size"] or 32, len(X))
    model = _start(data, ACTIVATIONS[options["activation_fn"]], batch_size, rs)
    penalty = options["l1_reg_activation"] * X.shape[1] / 2  # Keras' ratio to the mean squared error
    training = Training(
        model,
        rs,
        optimizer=options["optimizer"],
        learn_rate=options["learn_rate"],
        l1=0.0,
        l2=0.0,
        batch_size=batch_size,
        dropout=options["dropout"],
        seed=options["seed"],
        activity_l1=(model.middle, penalty) if penalty else None,
    )
    sample = training_sample(len(X), options["seed"])  # the training loss is measured on these rows
    best, started = np.inf, time.perf_counter()
    for epoch in range(options["max_iterations"]):
        training.epoch(X, X, None)
        data.progress("training", epoch + 1, options["max_iterations"])
        loss = float(model.losses(X[sample])["mean_squared_error"].mean())
        started = record_iteration(data.history, started, loss, None, options["learn_rate"])
        if options["early_stop"] and best < np.inf and best - loss < options["min_rel_progress"] * abs(best):
            break
        best = min(best, loss)
    model.anomaly_quantiles = ScoreQuantiles.of(model.losses(X)["mean_squared_error"])
    return model


def autoencoder_rules(options: dict) -> None:
    """hidden_units is symmetric around a middle layer; tf_version 2.17.0 is refused with the reason."""
    units = options["hidden_units"]
    if units is not None and (len(units) % 2 == 0 or units != units[::-1]):
        raise ProgrammingError(
            f"OPTIONS: hidden_units {units} must be symmetric around a middle layer, the latent space: an odd "
            "number of layers reading the same both ways, e.g. [64, 8, 64] or [128, 64, 4, 64, 128]"
        )
    if options["tf_version"] != "1.15":
        raise ProgrammingError(
            f"OPTIONS: tf_version {options['tf_version']} is not supported: sqlml's optimizers follow TensorFlow "
            "1.15's definitions (BigQuery ML's default); leave tf_version out or set it to '1.15'"
        )


OPTIONS = {
    **COMPUTE,
    "hidden_units": Option("int_list", low=1, high=100_000),
    "activation_fn": Option("enum", tuple(ACTIVATIONS), default="RELU"),
    "batch_size": Option("int", low=1, high=8192),
    "dropout": Option("float", low=0.0, high=1.0, open_high=True, default=0.0),
    "l1_reg_activation": Option("float", low=0.0, default=0.0),
    "optimizer": Option("enum", tuple(OPTIMIZERS), default="ADAM"),
    **learn_rate(0.001),
    "tf_version": Option("enum", ("1.15", "2.17.0"), default="1.15", tunable=False),
    **iterations(20),
    **EARLY_STOP,
    "seed": SEED,
    **TUNING,
    **COMPUTE,
    **WARM_START,
}
FAMILIES = (
    Family(
        "autoencoder",
        "autoencoder",
        OPTIONS,
        fit_autoencoder,
        AutoencoderModel.load,
        "json",
        rules=(autoencoder_rules,),
        search_space={
            "learn_rate": {"hparam_range": [0.0001, 0.1]},
            "batch_size": {"hparam_range": [16, 1024]},
            "l1_reg_activation": {"hparam_range": [0.0, 10.0]},
        },
        warm_start_kept=("hidden_units", "activation_fn"),
        onnx_builder="autoencoder",
        quantize=("INT8", "FLOAT16"),
    ),
)

"""The multilayer perceptron behind dnn_*: a forward pass, and mini-batch training with inverted dropout.

Glorot-uniform weights, then one shuffle per epoch, from one RandomState(seed); batches in order; each
batch's gradient of the summed loss (plus alpha / 2 * |W|^2 for ADAM and RMSPROP), divided by the batch's
total sample weight. The optimizers are BigQuery ML's, as TensorFlow 1.15 (BigQuery's default tf_version)
defines them: https://www.tensorflow.org/versions/r1.15/api_docs/python/tf/train and TensorFlow's training
ops (ApplyAdam, ApplyRMSProp, ApplyProximalGradientDescent, ApplyProximalAdagrad, ApplyFtrl), with their
default constants. With dropout = 0 and ADAM (or SGD with no l1 / l2) training is scikit-learn's
MLPClassifier / MLPRegressor fed one partial_fit per epoch, step for step (the tests check it).
Dropout draws its masks from a second generator, numpy's default_rng(seed): for each batch and each
hidden layer in order, a unit is kept where rng.random((rows, units)) >= dropout, and kept units are
scaled by 1 / (1 - dropout), so prediction uses the weights as they are.
"""

from __future__ import annotations

import numpy as np


def expit(z: np.ndarray) -> np.ndarray:
    """The logistic function (scipy's, imported when a network first runs)."""
    from scipy.special import expit

    return expit(z)


def softmax(z: np.ndarray, axis: int) -> np.ndarray:
    from scipy.special import softmax

    return softmax(z, axis=axis)


SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805  # tf.nn.selu's constants


def _elu(z: np.ndarray) -> np.ndarray:
    return np.where(z > 0, z, np.expm1(np.minimum(z, 0.0)))


def _crelu(z: np.ndarray) -> np.ndarray:
    """tf.nn.crelu: [relu(z), relu(-z)], each layer twice as wide as its units."""
    return np.concatenate([np.maximum(z, 0.0), np.maximum(-z, 0.0)], axis=1)


# tf.nn.relu, relu6, crelu, elu, selu, sigmoid, tanh; each slope as a function of the unit's output h
HIDDEN = {
    "crelu": _crelu,
    "relu": lambda z: np.maximum(z, 0.0),
    "relu6": lambda z: np.clip(z, 0.0, 6.0),
    "elu": _elu,
    "selu": lambda z: SELU_SCALE * np.where(z > 0, z, SELU_ALPHA * np.expm1(np.minimum(z, 0.0))),
    "logistic": expit,
    "tanh": np.tanh,
}
_SLOPE = {
    "relu": lambda h: h > 0,
    "relu6": lambda h: (h > 0) & (h < 6),
    "elu": lambda h: np.where(h > 0, 1.0, h + 1.0),
    "selu": lambda h: np.where(h > 0, SELU_SCALE, h + SELU_SCALE * SELU_ALPHA),
    "logistic": lambda h: h * (1.0 - h),
    "tanh": lambda h: 1.0 - h * h,
}
WIDTH = {"crelu": 2}  # a hidden layer's outputs per unit (1 for the others)


def backward(activation: str, h: np.ndarray, d: np.ndarray) -> np.ndarray:
    """d loss / d a layer's pre-activations, from its outputs h and d loss / d h."""
    if activation == "crelu":  # h = [relu(z), relu(-z)]
        units = h.shape[1] // 2
        return d[:, :units] * (h[:, :units] > 0) - d[:, units:] * (h[:, units:] > 0)
    return d * _SLOPE[activation](h)


class Network:
    """Layer weights and biases; outputs are values (n, 1), a positive-class probability (n, 1) or
    class probabilities (n, n_classes)."""

    def __init__(self, weights: list, biases: list, activation: str, n_classes: int):
        self.weights = [np.array(w, dtype=np.float64) for w in weights]  # copies: training updates them in place
        self.biases = [np.array(b, dtype=np.float64) for b in biases]
        self.activation = activation
        self.n_classes = n_classes

    @classmethod
    def initial(cls, sizes: list[int], activation: str, n_classes: int, rs: np.random.RandomState) -> Network:
        """Glorot-uniform weights and biases, drawn layer by layer as scikit-learn does; `sizes`: the inputs,
        each hidden layer's units, the outputs."""
        weights, biases = [], []
        fan_ins = [sizes[0]] + [units * WIDTH.get(activation, 1) for units in sizes[1:-1]]
        for fan_in, fan_out in zip(fan_ins, sizes[1:]):
            bound = np.sqrt((2.0 if activation == "logistic" else 6.0) / (fan_in + fan_out))
            weights.append(rs.uniform(-bound, bound, (fan_in, fan_out)))
            biases.append(rs.uniform(-bound, bound, fan_out))
        return cls(weights, biases, activation, n_classes)

    def output(self, z: np.ndarray) -> np.ndarray:
        if self.n_classes == 2:
            return expit(z)
        return softmax(z, axis=1) if self.n_classes else z

    def forward(self, X: np.ndarray) -> np.ndarray:
        for w, b in zip(self.weights[:-1], self.biases[:-1]):
            X = HIDDEN[self.activation](X @ w + b)
        return self.output(X @ self.weights[-1] + self.biases[-1])

    def gradients(
        self,
        X: np.ndarray,
        Y: np.ndarray,
        weights: np.ndarray | None,
        alpha: float,
        dropout: float,
        masks: np.random.Generator,
        offset: np.ndarray | None = None,
        activity_l1: tuple[int, float] | None = None,
    ) -> list[np.ndarray]:
        """Weight then bias gradients of one batch, hidden units dropped at rate dropout. `offset` (rows,
        outputs): logits of a part trained jointly (wide-and-deep's linear part), added to the output layer's;
        d loss / d those logits (divided by the batch's total weight) then follows the bias gradients.
        `activity_l1` (layer, strength): an L1 penalty strength * sum |h| on that hidden layer's outputs (before
        dropout)."""
        inputs, hidden = [X], []
        for w, b in zip(self.weights[:-1], self.biases[:-1]):
            h = HIDDEN[self.activation](inputs[-1] @ w + b)
            keep = (masks.random(h.shape) >= dropout) / (1.0 - dropout) if dropout else None
            hidden.append((h, keep))
            inputs.append(h if keep is None else h * keep)
        logits = inputs[-1] @ self.weights[-1] + self.biases[-1]
        delta = self.output(logits if offset is None else logits + offset) - Y  # d loss / d output logit
        total = len(X)
        if weights is not None:
            delta, total = delta * weights[:, None], weights.sum()
        joint = [] if offset is None else [delta / total]
        grad_w, grad_b = [None] * len(self.weights), [None] * len(self.weights)
        for i in reversed(range(len(self.weights))):
            grad_w[i] = (inputs[i].T @ delta + alpha * self.weights[i]) / total
            grad_b[i] = delta.sum(axis=0) / total
            if i:
                h, keep = hidden[i - 1]
                delta = delta @ self.weights[i].T
                if keep is not None:
                    delta *= keep
                if activity_l1 is not None and activity_l1[0] == i - 1:
                    delta += activity_l1[1] * np.sign(h)
                delta = backward(self.activation, h, delta)
        return grad_w + grad_b + joint


class Adam:
    """tf.compat.v1.train.AdamOptimizer(beta1=0.9, beta2=0.999, epsilon=1e-8)."""

    strengths = False  # l2_reg is a penalty in the loss

    def __init__(self, params: list[np.ndarray], learn_rate: float, beta1=0.9, beta2=0.999, eps=1e-8):
        self.learn_rate, self.beta1, self.beta2, self.eps, self.t = learn_rate, beta1, beta2, eps, 0
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        self.t += 1
        rate = self.learn_rate * np.sqrt(1 - self.beta2**self.t) / (1 - self.beta1**self.t)
        for p, g, m, v in zip(params, grads, self.m, self.v):
            m[:] = self.beta1 * m + (1 - self.beta1) * g
            v[:] = self.beta2 * v + (1 - self.beta2) * g**2
            p += -rate * m / (np.sqrt(v) + self.eps)


class RMSProp:
    """tf.compat.v1.train.RMSPropOptimizer(decay=0.9, momentum=0, epsilon=1e-10): the mean square starts at one."""

    strengths = False

    def __init__(self, params: list[np.ndarray], learn_rate: float, decay=0.9, eps=1e-10):
        self.learn_rate, self.decay, self.eps = learn_rate, decay, eps
        self.mean_square = [np.ones_like(p) for p in params]

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        for p, g, ms in zip(params, grads, self.mean_square):
            ms[:] = self.decay * ms + (1 - self.decay) * g**2
            p -= self.learn_rate * g / np.sqrt(ms + self.eps)


def proximal(v: np.ndarray, rate: np.ndarray | float, l1: float, l2: float) -> np.ndarray:
    """TensorFlow's proximal step: sign(v) / (1 + rate * l2) * max(|v| - rate * l1, 0)."""
    return np.sign(v) * np.maximum(np.abs(v) - rate * l1, 0.0) / (1.0 + rate * l2)


class GradientDescent:
    """tf.compat.v1.train.GradientDescentOptimizer; ProximalGradientDescentOptimizer with l1 / l2 strengths."""

    strengths = True  # l1_reg and l2_reg are the optimizer's

    def __init__(self, params: list[np.ndarray], learn_rate: float, l1: float = 0.0, l2: float = 0.0):
        self.learn_rate, self.l1, self.l2 = learn_rate, l1, l2

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        for p, g in zip(params, grads):
            p[:] = proximal(p - self.learn_rate * g, self.learn_rate, self.l1, self.l2)


class Adagrad:
    """tf.compat.v1.train.AdagradOptimizer(initial_accumulator_value=0.1); ProximalAdagradOptimizer with l1 / l2."""

    strengths = True

    def __init__(self, params: list[np.ndarray], learn_rate: float, l1: float = 0.0, l2: float = 0.0, initial=0.1):
        self.learn_rate, self.l1, self.l2 = learn_rate, l1, l2
        self.accum = [np.full_like(p, initial) for p in params]

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        for p, g, accum in zip(params, grads, self.accum):
            accum += g**2
            rate = self.learn_rate / np.sqrt(accum)
            p[:] = proximal(p - rate * g, rate, self.l1, self.l2)


class Ftrl:
    """tf.compat.v1.train.FtrlOptimizer(learning_rate_power=-0.5, initial_accumulator_value=0.1) with l1 / l2
    strengths: TensorFlow's ApplyFtrl."""

    strengths = True

    def __init__(self, params: list[np.ndarray], learn_rate: float, l1: float = 0.0, l2: float = 0.0, initial=0.1):
        self.learn_rate, self.l1, self.l2 = learn_rate, l1, l2
        self.accum = [np.full_like(p, initial) for p in params]
        self.linear = [np.zeros_like(p) for p in params]

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        for p, g, accum, linear in zip(params, grads, self.accum, self.linear):
            grown = accum + g**2  # learning_rate_power -0.5: accum ** 0.5
            linear += g - (np.sqrt(grown) - np.sqrt(accum)) / self.learn_rate * p
            quadratic = np.sqrt(grown) / self.learn_rate + 2 * self.l2
            p[:] = np.where(np.abs(linear) > self.l1, (np.sign(linear) * self.l1 - linear) / quadratic, 0.0)
            accum[:] = grown


# BigQuery ML's optimizer values, as TensorFlow 1.15 (BigQuery's default tf_version) defines them
OPTIMIZERS = {"ADAGRAD": Adagrad, "ADAM": Adam, "FTRL": Ftrl, "RMSPROP": RMSProp, "SGD": GradientDescent}


def optimizer_of(name: str, params: list[np.ndarray], learn_rate: float, l1: float, l2: float) -> tuple[float, object]:
    """(alpha, the optimizer `name` of `params`): SGD, ADAGRAD and FTRL take l1 and l2 as their strengths, on every
    parameter (alpha 0); for ADAM and RMSPROP l2 is a penalty l2 * |W|^2 in the loss (alpha = 2 * l2, scikit-learn's)
    and l1 does not apply."""
    kind = OPTIMIZERS[name]
    if kind.strengths:
        return 0.0, kind(params, learn_rate, l1, l2)
    return 2 * l2, kind(params, learn_rate)


class Training:
    """Epochs of mini-batch training of one network (see the module docstring)."""

    def __init__(
        self,
        network: Network,
        rs: np.random.RandomState,
        *,
        optimizer: str,
        learn_rate: float,
        l1: float,
        l2: float,
        batch_size: int,
        dropout: float,
        seed: int,
        activity_l1: tuple[int, float] | None = None,
    ):
        self.network, self.rs, self.batch_size, self.dropout = network, rs, batch_size, dropout
        self.activity_l1 = activity_l1  # (hidden layer, strength): Network.gradients' penalty on its outputs
        self.params = network.weights + network.biases
        self.alpha, self.optimizer = optimizer_of(optimizer, self.params, learn_rate, l1, l2)
        self.masks = np.random.default_rng(seed)

    def epoch(self, X: np.ndarray, Y: np.ndarray, weights: np.ndarray | None) -> None:
        order = self.rs.permutation(len(X))
        from sklearn.utils import gen_batches

        for batch in gen_batches(len(X), self.batch_size):
            rows = order[batch]
            grads = self.network.gradients(
                X[rows],
                Y[rows],
                None if weights is None else weights[rows],
                self.alpha,
                self.dropout,
                self.masks,
                activity_l1=self.activity_l1,
            )
            self.optimizer.step(self.params, grads)

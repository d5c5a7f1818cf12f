"""The multilayer perceptron behind dnn_*: a forward pass, and mini-batch training with inverted dropout.

With dropout = 0 training is scikit-learn's MLPClassifier / MLPRegressor fed one partial_fit per epoch,
step for step (the tests check it): Glorot-uniform weights, then one shuffle per epoch, from one
RandomState(seed); batches in order; each batch's gradient of the summed loss plus alpha / 2 * |W|^2,
divided by the batch's total sample weight; Adam (0.9, 0.999, 1e-8) or SGD with Nesterov momentum 0.9.
Dropout draws its masks from a second generator, numpy's default_rng(seed): for each batch and each
hidden layer in order, a unit is kept where rng.random((rows, units)) >= dropout, and kept units are
scaled by 1 / (1 - dropout), so prediction uses the weights as they are.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np


def expit(z: np.ndarray) -> np.ndarray:
    """The logistic function (scipy's, imported when a network first runs)."""
    from scipy.special import expit

    return expit(z)


def softmax(z: np.ndarray, axis: int) -> np.ndarray:
    from scipy.special import softmax

    return softmax(z, axis=axis)


HIDDEN = {"relu": lambda z: np.maximum(z, 0.0), "logistic": expit, "tanh": np.tanh}
_SLOPE = {"relu": lambda h: h > 0, "logistic": lambda h: h * (1.0 - h), "tanh": lambda h: 1.0 - h * h}  # from h


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
        """Glorot-uniform weights and biases, drawn layer by layer as scikit-learn does."""
        weights, biases = [], []
        for fan_in, fan_out in pairwise(sizes):
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
    ) -> list[np.ndarray]:
        """Weight then bias gradients of one batch, hidden units dropped at rate dropout."""
        inputs, hidden = [X], []
        for w, b in zip(self.weights[:-1], self.biases[:-1]):
            h = HIDDEN[self.activation](inputs[-1] @ w + b)
            keep = (masks.random(h.shape) >= dropout) / (1.0 - dropout) if dropout else None
            hidden.append((h, keep))
            inputs.append(h if keep is None else h * keep)
        delta = self.output(inputs[-1] @ self.weights[-1] + self.biases[-1]) - Y  # d loss / d output logit
        total = len(X)
        if weights is not None:
            delta, total = delta * weights[:, None], weights.sum()
        grad_w, grad_b = [None] * len(self.weights), [None] * len(self.weights)
        for i in reversed(range(len(self.weights))):
            grad_w[i] = (inputs[i].T @ delta + alpha * self.weights[i]) / total
            grad_b[i] = delta.sum(axis=0) / total
            if i:
                h, keep = hidden[i - 1]
                delta = (delta @ self.weights[i].T) * _SLOPE[self.activation](h)
                if keep is not None:
                    delta *= keep
        return grad_w + grad_b


class Adam:
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


class NesterovSGD:
    def __init__(self, params: list[np.ndarray], learn_rate: float, momentum=0.9):
        self.learn_rate, self.momentum = learn_rate, momentum
        self.velocity = [np.zeros_like(p) for p in params]

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        for p, g, v in zip(params, grads, self.velocity):
            v[:] = self.momentum * v - self.learn_rate * g
            p += self.momentum * v - self.learn_rate * g


OPTIMIZERS = {"ADAM": Adam, "SGD": NesterovSGD}


class Training:
    """Epochs of mini-batch training of one network (see the module docstring)."""

    def __init__(
        self,
        network: Network,
        rs: np.random.RandomState,
        *,
        optimizer: str,
        learn_rate: float,
        alpha: float,
        batch_size: int,
        dropout: float,
        seed: int,
    ):
        self.network, self.rs, self.alpha, self.batch_size, self.dropout = network, rs, alpha, batch_size, dropout
        self.params = network.weights + network.biases
        self.optimizer = OPTIMIZERS[optimizer](self.params, learn_rate)
        self.masks = np.random.default_rng(seed)

    def epoch(self, X: np.ndarray, Y: np.ndarray, weights: np.ndarray | None) -> None:
        order = self.rs.permutation(len(X))
        from sklearn.utils import gen_batches

        for batch in gen_batches(len(X), self.batch_size):
            rows = order[batch]
            grads = self.network.gradients(
                X[rows], Y[rows], None if weights is None else weights[rows], self.alpha, self.dropout, self.masks
            )
            self.optimizer.step(self.params, grads)

"""optimize_strategy='BATCH_GRADIENT_DESCENT' of linear_reg and logistic_reg: full-batch (proximal) gradient
descent on the family's objective divided by the row count (the same minimizer, a step size independent of n):

  mean loss (squared error; log loss, softmax for > 2 classes, weighted by class weights)
  + l2_reg / n * |W|² + l1_reg / n * |W|₁        (W: the weights, not the intercept)

Each iteration takes a gradient step on the smooth part, then the L1 part's proximal step (soft thresholding).
learn_rate_strategy='CONSTANT' steps by learn_rate; 'LINE_SEARCH' backtracks (halving) from twice the previous
iteration's step (the first: ls_init_learn_rate) until the step decreases the smooth part enough (the
sufficient-decrease test of proximal gradient descent). Up to max_iterations iterations; early_stop ends
training once an iteration improves the best loss so far (the evaluation rows', else the training rows') by
less than min_rel_progress of it. Every iteration is a row of ML.TRAINING_INFO with the step it took.
"""

from __future__ import annotations

import time

import numpy as np

from sqlml.engine.families.base import TrainData, record_iteration
from sqlml.errors import DataError

DEFAULT_LEARN_RATE = 0.1  # learn_rate and ls_init_learn_rate when not given (BigQuery ML's defaults)
MAX_HALVINGS = 60


def _scores(theta: np.ndarray, X: np.ndarray) -> np.ndarray:
    return theta[0] + X @ theta[1:]


def _loss_and_residual(theta, X, targets, weights, logistic: bool) -> tuple[float, np.ndarray]:
    """The mean loss and its derivative with respect to the scores (n, k)."""
    z = _scores(theta, X)
    if not logistic:
        residual = z - targets
        return float(np.mean(residual**2)), 2 * residual / len(X)
    if z.shape[1] == 1:
        p = 1.0 / (1.0 + np.exp(-z))
        losses = np.logaddexp(0, z[:, 0]) - targets[:, 0] * z[:, 0]
    else:
        z = z - z.max(axis=1, keepdims=True)
        log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        p, losses = np.exp(log_p), -(targets * log_p).sum(axis=1)
    return float(np.sum(weights * losses) / len(X)), weights[:, None] * (p - targets) / len(X)


def _targets(y: np.ndarray, n_classes: int) -> np.ndarray:
    if n_classes == 0:
        return y[:, None].astype(np.float64)
    if n_classes == 2:
        return (y == 1)[:, None].astype(np.float64)
    return np.eye(n_classes)[y]


class _Objective:
    """The smooth part (mean loss + l2 term) and the L1 part of the objective over theta = [intercept; W], and the
    loss on the evaluation rows."""

    def __init__(self, data: TrainData, logistic: bool):
        options, n = data.options, len(data.X)
        self.X, self.logistic = data.X, logistic
        self.targets = _targets(data.y, data.n_classes)
        self.weights = np.ones(n) if data.weights is None else data.weights
        self.l1, self.l2 = options["l1_reg"] / n, options["l2_reg"] / n
        self.fit_intercept = options["fit_intercept"]
        held_out = data.X_eval is not None and len(data.X_eval) > 0
        self.X_eval = data.X_eval if held_out else None
        self.eval_targets = _targets(data.y_eval, data.n_classes) if held_out else None

    def held_out_loss(self, theta: np.ndarray) -> float | None:
        """The mean loss on the evaluation rows (None without them)."""
        if self.X_eval is None:
            return None
        return _loss_and_residual(theta, self.X_eval, self.eval_targets, np.ones(len(self.X_eval)), self.logistic)[0]

    def smooth(self, theta: np.ndarray) -> tuple[float, float, np.ndarray]:
        """(the smooth part, the mean loss, its gradient)."""
        loss, residual = _loss_and_residual(theta, self.X, self.targets, self.weights, self.logistic)
        gradient = np.vstack([residual.sum(axis=0) if self.fit_intercept else 0 * theta[0], self.X.T @ residual])
        gradient[1:] += 2 * self.l2 * theta[1:]
        return loss + self.l2 * float(np.sum(theta[1:] ** 2)), loss, gradient

    def step(self, theta: np.ndarray, gradient: np.ndarray, rate: float) -> np.ndarray:
        """A gradient step, then the L1 part's proximal step (soft thresholding of the weights)."""
        moved = theta - rate * gradient
        moved[1:] = np.sign(moved[1:]) * np.maximum(np.abs(moved[1:]) - rate * self.l1, 0.0)
        return moved


def _line_search(objective: _Objective, theta, value, gradient, rate) -> tuple[np.ndarray, float]:
    """The proximal step from `rate` down (halving) that passes the sufficient-decrease test."""
    for _ in range(MAX_HALVINGS):
        moved = objective.step(theta, gradient, rate)
        delta = moved - theta
        bound = value + float(np.sum(gradient * delta)) + float(np.sum(delta**2)) / (2 * rate)
        if objective.smooth(moved)[0] <= bound + 1e-12 * abs(bound):
            return moved, rate
        rate /= 2
    return theta, rate


def descend(data: TrainData, theta: np.ndarray, logistic: bool) -> np.ndarray:
    """theta = [intercept; W] (columns: score outputs) after batch gradient descent from `theta`."""
    options, objective = data.options, _Objective(data, logistic)
    constant = options["learn_rate_strategy"] == "CONSTANT"
    rate = options["learn_rate" if constant else "ls_init_learn_rate"] or DEFAULT_LEARN_RATE
    best, started = np.inf, time.perf_counter()
    for iteration in range(options["max_iterations"]):
        with np.errstate(over="ignore", invalid="ignore"):  # a diverging run is reported below, not warned of
            value, _, gradient = objective.smooth(theta)
            if constant:
                theta = objective.step(theta, gradient, rate)
            else:
                theta, rate = _line_search(objective, theta, value, gradient, 2 * rate if iteration else rate)
            loss = objective.smooth(theta)[1]
        if not np.isfinite(loss):
            raise DataError(
                f"batch gradient descent diverged at iteration {iteration} with learn_rate {rate}; lower "
                "learn_rate, or use learn_rate_strategy='LINE_SEARCH'"
            )
        eval_loss = objective.held_out_loss(theta)
        started = record_iteration(data.history, started, loss, eval_loss, rate)
        data.progress("training", iteration + 1, options["max_iterations"])
        watched = loss if eval_loss is None else eval_loss
        if options["early_stop"] and best < np.inf and best - watched < options["min_rel_progress"] * abs(best):
            break
        best = min(best, watched)
    return theta

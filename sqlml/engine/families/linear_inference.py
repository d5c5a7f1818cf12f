"""linear_reg and logistic_reg's category_encoding_method='DUMMY_ENCODING' and calculate_p_values=TRUE.

DUMMY_ENCODING: each categorical input's most frequent training category is the reference (its one-hot
column is 0 on every row: data/features.py `fit_category_encoding`); linear.py leaves such columns out of the
fit, so their weights are exactly 0.

calculate_p_values: the covariance of the estimates [intercept, weights...] over the encoded columns, kept
with the coefficients (ML.ADVANCED_WEIGHTS turns it into standard errors and p-values of each weight):
  linear_reg:   s² A⁻¹ DᵀD A⁻¹, A = DᵀD + l2_reg·P, s² = RSS / (n - k); p-values from Student's t, n - k dof
  logistic_reg: H⁻¹, H = Dᵀ diag(w·p(1-p)) D + 2·l2_reg·P at the optimum (the Fisher information; binary
                only), p-values from the normal distribution. The fit is finished by Newton's method first,
                so that the estimates are the optimum the information is measured at.
D is the design (a column of ones when fit_intercept, then the kept columns), k its width, w the row weights,
P the identity but on the intercept. Without l2_reg these are the classical OLS and logistic (Wald) figures.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sqlml.engine.store.artifacts import expect, numbers
from sqlml.errors import DataError, ProgrammingError

NEWTON_STEPS, NEWTON_TOLERANCE = 100, 1e-12


def p_values_rule(options: dict) -> None:
    """BigQuery ML computes no p-values under L1 regularization."""
    if options["calculate_p_values"] and options["l1_reg"]:
        raise ProgrammingError(
            "OPTIONS: calculate_p_values=TRUE needs l1_reg = 0: standard errors of L1-penalized weights are not "
            "computed (BigQuery ML's rule)"
        )


@dataclass
class Inference:
    """The covariance of [intercept, weights...] (width + 1 square; `fixed` parameters were not estimated: a
    DUMMY_ENCODING reference, the intercept without fit_intercept) and the t distribution's degrees of
    freedom (None: the normal distribution)."""

    covariance: np.ndarray
    fixed: list[int]
    dof: int | None

    def state(self) -> dict:
        return {"covariance": self.covariance.tolist(), "fixed": self.fixed, "dof": self.dof}

    @classmethod
    def load(cls, state: dict | None, width: int) -> Inference | None:
        if state is None:
            return None
        covariance = numbers(state["covariance"], 2, "covariance")
        expect(covariance.shape, (width + 1, width + 1), "the covariance's shape")
        fixed = [int(i) for i in state["fixed"]]
        expect(all(0 <= i <= width for i in fixed), True, "the fixed parameters")
        return cls(covariance, fixed, None if state["dof"] is None else int(state["dof"]))

    def standard_errors(self, jacobian: np.ndarray) -> list[float | None]:
        """Standard errors of the linear combinations `jacobian` @ parameters (a fixed parameter is a known
        constant); None for one that reads no estimated parameter."""
        estimated = np.ones(len(self.covariance), bool)
        estimated[self.fixed] = False
        variances = np.einsum("ij,jk,ik->i", jacobian, self.covariance, jacobian)
        reads = (jacobian[:, estimated] != 0).any(axis=1)
        return [float(np.sqrt(max(v, 0.0))) if r else None for r, v in zip(reads, variances)]

    def p_value(self, estimate: float, standard_error: float | None) -> float | None:
        """The two-sided p-value of the hypothesis that the parameter is 0."""
        if not standard_error:
            return None
        from scipy import stats

        statistic = abs(estimate) / standard_error
        return float(2 * (stats.norm.sf(statistic) if self.dof is None else stats.t.sf(statistic, self.dof)))


def _design(X: np.ndarray, fit_intercept: bool) -> np.ndarray:
    return np.column_stack([np.ones(len(X)), X]) if fit_intercept else X


def _penalty(width: int, fit_intercept: bool, l2: float) -> np.ndarray:
    diagonal = np.full(width, l2)
    if fit_intercept:
        diagonal[0] = 0.0
    return np.diag(diagonal)


def _inverse(matrix: np.ndarray) -> np.ndarray:
    if np.linalg.matrix_rank(matrix) < len(matrix):
        raise DataError(
            "calculate_p_values=TRUE: the encoded features are linearly dependent, so their weights have no "
            "standard errors (remove redundant columns; categorical inputs need category_encoding_method="
            "'DUMMY_ENCODING')"
        )
    return np.linalg.inv(matrix)


def _embed(covariance: np.ndarray, kept: np.ndarray, width: int, fit_intercept: bool, dof: int | None) -> Inference:
    """The kept parameters' covariance placed in the full [intercept, weights...] one."""
    parameters = np.concatenate([[0] if fit_intercept else [], kept + 1]).astype(int)
    full = np.zeros((width + 1, width + 1))
    full[np.ix_(parameters, parameters)] = covariance
    return Inference(full, sorted(set(range(width + 1)) - set(parameters.tolist())), dof)


def ols(X: np.ndarray, y: np.ndarray, predicted: np.ndarray, kept: np.ndarray, width: int, options: dict) -> Inference:
    """linear_reg's covariance; X holds the kept columns only."""
    D = _design(X, options["fit_intercept"])
    n, k = D.shape
    if n <= k:
        raise DataError(f"calculate_p_values=TRUE needs more training rows ({n}) than estimated parameters ({k})")
    gram = D.T @ D
    inverse = _inverse(gram + _penalty(k, options["fit_intercept"], options["l2_reg"]))
    variance = float(np.sum((y - predicted) ** 2)) / (n - k)
    return _embed(variance * inverse @ gram @ inverse, kept, width, options["fit_intercept"], n - k)


def logistic(
    X: np.ndarray, y: np.ndarray, weights: np.ndarray | None, theta: np.ndarray, kept: np.ndarray, width: int, options
) -> tuple[np.ndarray, Inference]:
    """Binary logistic_reg: (the estimates [intercept, weights...] over the kept columns, finished by Newton's
    method from `theta`, and their covariance)."""
    D = _design(X, options["fit_intercept"])
    w = np.ones(len(y)) if weights is None else weights
    penalty = _penalty(D.shape[1], options["fit_intercept"], 2 * options["l2_reg"])
    for _ in range(NEWTON_STEPS):
        p = 1.0 / (1.0 + np.exp(-(D @ theta)))
        hessian = D.T @ (D * (w * p * (1 - p))[:, None]) + penalty
        step = np.linalg.solve(hessian, D.T @ (w * (p - y)) + penalty @ theta) if _regular(hessian) else None
        if step is None or not np.isfinite(step).all():
            break
        theta = theta - step
        if np.abs(step).max() <= NEWTON_TOLERANCE * (1 + np.abs(theta).max()):
            break
    p = 1.0 / (1.0 + np.exp(-(D @ theta)))
    covariance = _inverse(D.T @ (D * (w * p * (1 - p))[:, None]) + penalty)
    return theta, _embed(covariance, kept, width, options["fit_intercept"], None)


def _regular(matrix: np.ndarray) -> bool:
    return np.linalg.matrix_rank(matrix) == len(matrix)

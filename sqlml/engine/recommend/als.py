"""Alternating least squares over dense user and item ids.

EXPLICIT (BigQuery ML's ALS with intercepts): a rating is modelled as mu + b_u + c_i + x_u . y_i, mu the mean
training rating; the objective sum((r - prediction)^2) + l2_reg * (|x|^2 + b^2 summed over users, |y|^2 + c^2
over items) is minimized exactly one side at a time: each user's [x_u, b_u] is the ridge solution of its
ratings (less mu + c_i) on its items' [y_i, 1], then each item's likewise. The objective falls every half-step.

IMPLICIT (BigQuery ML's WALS, Hu, Koren and Volinsky's implicit-feedback ALS): the `implicit` library's
conjugate-gradient ALS on confidences c = 1 + wals_alpha * |r| (preference 1 for r > 0, 0 for r < 0; a zero
rating is no observation), l2_reg its regularization.

Both record an ML.TRAINING_INFO row per iteration and stop early (early_stop) after the first iteration that
improves the objective by less than min_rel_progress of its previous value.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from sqlml.engine.families.base import record_iteration
from sqlml.engine.progress import Progress

CHUNK_VALUES = 4_000_000  # float64 values of a block of Gram matrices, or of outer products, in the explicit solve
PREDICT_ROWS = 262_144


@dataclass
class Ratings:
    """Observations as dense ids: user_ids and item_ids index the model's users and items."""

    user_ids: np.ndarray
    item_ids: np.ndarray
    values: np.ndarray
    n_users: int
    n_items: int


@dataclass
class Factors:
    user_factors: np.ndarray
    item_factors: np.ndarray
    user_intercepts: np.ndarray
    item_intercepts: np.ndarray
    global_intercept: float

    def predict(self, user_ids: np.ndarray, item_ids: np.ndarray) -> np.ndarray:
        """Predictions of id pairs; an id of -1 (unknown) contributes neither factors nor intercept."""
        out = np.full(len(user_ids), self.global_intercept)
        for start in range(0, len(user_ids), PREDICT_ROWS):
            u, i = user_ids[start : start + PREDICT_ROWS], item_ids[start : start + PREDICT_ROWS]
            known_u, known_i = u >= 0, i >= 0
            part = out[start : start + len(u)]
            part[known_u] += self.user_intercepts[u[known_u]]
            part[known_i] += self.item_intercepts[i[known_i]]
            both = known_u & known_i
            part[both] += np.einsum("ij,ij->i", self.user_factors[u[both]], self.item_factors[i[both]])
        return out


@dataclass
class Schedule:
    """How long ALS runs and what it reports: max_iterations, early_stop, min_rel_progress, the training
    history's rows (and the evaluation rows' loss, when there are some) and the statement's progress."""

    max_iterations: int
    early_stop: bool
    min_rel_progress: float
    history: list[dict] = field(default_factory=list)
    progress: Progress = field(default_factory=Progress)
    eval_loss: object = None  # Factors -> the evaluation rows' loss, or None

    def converged(self, previous: float | None, objective: float) -> bool:
        return self.early_stop and previous is not None and previous - objective < self.min_rel_progress * abs(previous)


def by_entity(ids: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(the order sorting observations by `ids`, CSR row pointers of n entities over that order)."""
    order = np.argsort(ids, kind="stable")
    return order, np.concatenate([[0], np.cumsum(np.bincount(ids, minlength=n))])


def ridge_rows(
    indptr: np.ndarray, columns: np.ndarray, targets: np.ndarray, other: np.ndarray, l2: float
) -> np.ndarray:
    """Per entity e: argmin_z sum((t - A z)^2) + l2 |z|^2, A the rows of `other` its observations name (`columns`,
    in entity order: e's are columns[indptr[e]:indptr[e + 1]], t their `targets`). The Gram matrices A'A of a block
    of entities are one sparse product: the entities' observation counts times the other side's outer products
    y y' (each flattened), computed a block of the other side at a time."""
    import scipy.sparse as sp

    n, d = len(indptr) - 1, other.shape[1]
    shape = (n, len(other))
    counts = sp.csr_matrix((np.ones(len(columns)), columns, indptr), shape=shape)
    moments = sp.csr_matrix((targets, columns, indptr), shape=shape) @ other
    ridge = l2 * np.eye(d)
    per_block = max(1, CHUNK_VALUES // (d * d))
    out = np.empty((n, d))
    for start in range(0, n, per_block):
        block = counts[start : start + per_block].tocsc()
        gram = np.zeros((block.shape[0], d * d))
        for first in range(0, len(other), per_block):
            part = other[first : first + per_block]
            gram += block[:, first : first + len(part)] @ (part[:, :, None] * part[:, None, :]).reshape(len(part), -1)
        solved = np.linalg.solve(gram.reshape(-1, d, d) + ridge, moments[start : start + len(gram), :, None])
        out[start : start + len(gram)] = solved[..., 0]
    return out


def explicit(ratings: Ratings, num_factors: int, l2: float, schedule: Schedule, seed: int) -> Factors:
    """Explicit-feedback ALS with intercepts (see the module's docstring)."""
    rng = np.random.default_rng(seed)
    mu = float(ratings.values.mean())
    f = Factors(
        np.zeros((ratings.n_users, num_factors)),
        rng.normal(0.0, 0.1, (ratings.n_items, num_factors)),
        np.zeros(ratings.n_users),
        np.zeros(ratings.n_items),
        mu,
    )
    by_user, user_ptr = by_entity(ratings.user_ids, ratings.n_users)
    by_item, item_ptr = by_entity(ratings.item_ids, ratings.n_items)
    i_of_user, r_of_user = ratings.item_ids[by_user], ratings.values[by_user]
    u_of_item, r_of_item = ratings.user_ids[by_item], ratings.values[by_item]
    previous, started = None, time.perf_counter()
    for iteration in range(schedule.max_iterations):
        items = np.column_stack([f.item_factors, np.ones(ratings.n_items)])
        solved = ridge_rows(user_ptr, i_of_user, r_of_user - mu - f.item_intercepts[i_of_user], items, l2)
        f.user_factors, f.user_intercepts = solved[:, :-1], solved[:, -1]
        users = np.column_stack([f.user_factors, np.ones(ratings.n_users)])
        solved = ridge_rows(item_ptr, u_of_item, r_of_item - mu - f.user_intercepts[u_of_item], users, l2)
        f.item_factors, f.item_intercepts = solved[:, :-1], solved[:, -1]
        mse, objective = explicit_objective(f, ratings, l2)
        eval_loss = schedule.eval_loss(f) if schedule.eval_loss else None
        started = record_iteration(schedule.history, started, mse, eval_loss)
        schedule.progress("iterations", iteration + 1, schedule.max_iterations)
        if schedule.converged(previous, objective):
            break
        previous = objective
    return f


def explicit_objective(f: Factors, ratings: Ratings, l2: float) -> tuple[float, float]:
    """(the training mean squared error, the regularized objective ALS minimizes)."""
    squared = float(np.sum((ratings.values - f.predict(ratings.user_ids, ratings.item_ids)) ** 2))
    penalty = sum(float(np.sum(a**2)) for a in (f.user_factors, f.item_factors, f.user_intercepts, f.item_intercepts))
    return squared / len(ratings.values), squared + l2 * penalty


class _Converged(Exception):
    """Raised from the `implicit` library's per-iteration callback to end training early."""


def confidences(ratings: Ratings, alpha: float):
    """The user x item CSR matrix `implicit` reads: duplicates' ratings summed, then +-(1 + alpha * |r|) (the
    sign is the preference), zero ratings left out."""
    import scipy.sparse as sp

    matrix = sp.csr_matrix(
        (ratings.values, (ratings.user_ids, ratings.item_ids)), shape=(ratings.n_users, ratings.n_items)
    )
    matrix.sum_duplicates()
    matrix.eliminate_zeros()
    matrix.data = (np.sign(matrix.data) * (1.0 + alpha * np.abs(matrix.data))).astype(np.float32)
    return matrix


def implicit_als(ratings: Ratings, num_factors: int, l2: float, alpha: float, schedule: Schedule, seed: int) -> Factors:
    """Implicit-feedback weighted ALS by the `implicit` library (see the module's docstring)."""
    from implicit.cpu.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    matrix = confidences(ratings, alpha)
    previous, started = None, time.perf_counter()

    def iteration_done(iteration: int, _elapsed: float, loss: float | None) -> None:
        nonlocal previous, started
        started = record_iteration(schedule.history, started, loss)
        schedule.progress("iterations", iteration + 1, schedule.max_iterations)
        if loss is not None and schedule.converged(previous, loss):
            raise _Converged
        previous = loss

    with threadpool_limits(1, "blas"):  # implicit runs its own threads; BLAS threads inside them oversubscribe
        model = AlternatingLeastSquares(
            factors=num_factors,
            regularization=l2,
            iterations=schedule.max_iterations,
            calculate_training_loss=schedule.early_stop,
            random_state=seed,
        )
        try:
            model.fit(matrix, show_progress=False, callback=iteration_done)
        except _Converged:
            pass
    return Factors(
        model.user_factors.astype(np.float64),
        model.item_factors.astype(np.float64),
        np.zeros(ratings.n_users),
        np.zeros(ratings.n_items),
        0.0,
    )

"""What every trainer receives and returns."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

import numpy as np

from sqlml.engine.store.artifacts import expect, numbers
from sqlml.engine.progress import Progress


@dataclass
class TrainData:
    """The encoded training (and evaluation) rows handed to a trainer.

    Classification labels are class indices 0..n_classes-1 (classes sorted ascending); `weights` carries
    auto_class_weights / class_weights as per-row sample weights.
    """

    X: np.ndarray
    y: np.ndarray
    options: dict[str, Any]
    n_classes: int = 0
    weights: np.ndarray | None = None
    X_eval: np.ndarray | None = None
    y_eval: np.ndarray | None = None
    categorical_indices: list[int] = field(default_factory=list)
    X_init: np.ndarray | None = None  # kmeans_init_method=CUSTOM: the rows marked as initial centroids
    init: Any = None  # warm_start: the estimator of the version training continues from
    history: list[dict] = field(default_factory=list)  # per iteration: loss, eval_loss, learning_rate, duration_ms
    progress: Progress = field(default_factory=Progress)  # told each iteration of an iterative trainer


FLOAT32_MAX = float(np.finfo(np.float32).max)  # scikit-learn's trees read float32
SAMPLE_ROWS = 10_000  # rows a loss or a metric is measured on when there are more


def training_sample(n_rows: int, seed: int) -> np.ndarray:
    """Sorted positions of up to SAMPLE_ROWS rows, seeded: all of them when there are no more."""
    if n_rows <= SAMPLE_ROWS:
        return np.arange(n_rows)
    return np.sort(np.random.default_rng(seed).choice(n_rows, SAMPLE_ROWS, replace=False))


def record_iteration(history: list[dict], started: float, loss: float | None, eval_loss: float | None = None,
                     learning_rate: float | None = None) -> float:
    """Append one iteration's row to `history`; returns the time it was recorded (the next one's start)."""
    now = time.perf_counter()
    history.append({"iteration": len(history), "loss": None if loss is None else float(loss),
                    "eval_loss": None if eval_loss is None else float(eval_loss),
                    "learning_rate": learning_rate, "duration_ms": round((now - started) * 1000)})
    return now


class ScoreQuantiles:
    """The upper half of the distribution of an anomaly score over the training rows, from which
    ML.DETECT_ANOMALIES takes its thresholds: the quantiles at levels 0.5 .. 1 (the linear interpolation of
    numpy.quantile). Up to 2 * MAX_LEVELS + 1 rows they are every order statistic from the median up, so any
    level is exact; with more rows, MAX_LEVELS + 1 evenly spaced levels, interpolated between."""

    MAX_LEVELS = 5_000

    def __init__(self, levels: list[float], values: list[float]):
        self.levels = np.asarray(levels, dtype=np.float64)
        self.values = np.asarray(values, dtype=np.float64)

    @classmethod
    def of(cls, scores: np.ndarray) -> "ScoreQuantiles":
        n = len(scores)
        if n <= 2 * cls.MAX_LEVELS + 1:
            median = (n - 1) // 2
            return cls(np.arange(median, n) / max(n - 1, 1), np.sort(scores)[median:])
        levels = np.linspace(0.5, 1.0, cls.MAX_LEVELS + 1)
        return cls(levels, np.quantile(scores, levels))

    def quantile(self, level: float) -> float:
        """The score at quantile `level` (0.5 <= level <= 1)."""
        return float(np.interp(level, self.levels, self.values))

    def state(self) -> dict:
        return {"levels": self.levels.tolist(), "values": self.values.tolist()}

    @classmethod
    def load(cls, state: dict | None) -> "ScoreQuantiles | None":
        """The quantiles of a stored state (None when none was kept): levels and values alike long."""
        if state is None:
            return None
        levels = numbers(state["levels"], 1, "anomaly score levels")
        values = numbers(state["values"], 1, "anomaly scores")
        expect(len(values), len(levels), "the number of anomaly scores")
        return cls(levels, values)


class Estimator(Protocol):
    """A trained model: regression values (n,), class probabilities (n, n_classes), distances to
    centroids (n, n_clusters) or principal components (n, n_components)."""

    def predict(self, X: np.ndarray) -> np.ndarray: ...

    def artifact(self) -> bytes: ...


@dataclass(frozen=True)
class Trainer:
    """A model_type: its task, its feature encoding, and how to fit, store and load it."""

    task: str  # "regression", "classification", "clustering", "dimensionality_reduction" or "imported"
    linear_encoding: bool  # standardized numerics + one-hot categories (else raw + label encoding)
    fit: Callable[[TrainData], Estimator] | None  # None: an imported model
    load: Callable[[bytes, int], Estimator]  # (artifact, n_classes) -> estimator
    artifact_format: str
    max_classes: int = 0
    scale_option: str | None = None  # the BOOL option that can turn standardization off
    feature_limit: float = float(np.finfo(np.float64).max)  # the largest encoded value the estimator can read

    @property
    def supervised(self) -> bool:
        return self.task in ("regression", "classification")

    def scales(self, options: dict) -> bool:
        """Whether numeric features are standardized for a version trained with `options`."""
        return options[self.scale_option] if self.scale_option else True

"""What every trainer receives and returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

import numpy as np


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


class Estimator(Protocol):
    """A trained model: regression values (n,) or class probabilities (n, n_classes)."""

    def predict(self, X: np.ndarray) -> np.ndarray: ...

    def artifact(self) -> bytes: ...


@dataclass(frozen=True)
class Trainer:
    """A model_type: its task, whether it wants linear encoding, and how to fit, store and load it."""

    task: str  # "regression" or "classification"
    linear_encoding: bool  # standardized numerics + one-hot categories (else raw + label encoding)
    fit: Callable[[TrainData], Estimator]
    load: Callable[[bytes, int], Estimator]  # (artifact, n_classes) -> estimator
    artifact_format: str
    max_classes: int = 0

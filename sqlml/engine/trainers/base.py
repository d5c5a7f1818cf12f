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
    X_init: np.ndarray | None = None  # kmeans_init_method=CUSTOM: the rows marked as initial centroids


class Estimator(Protocol):
    """A trained model: regression values (n,), class probabilities (n, n_classes), distances to
    centroids (n, n_clusters) or principal components (n, n_components)."""

    def predict(self, X: np.ndarray) -> np.ndarray: ...

    def artifact(self) -> bytes: ...


@dataclass(frozen=True)
class Trainer:
    """A model_type: its task, its feature encoding, and how to fit, store and load it."""

    task: str  # "regression", "classification", "clustering" or "dimensionality_reduction"
    linear_encoding: bool  # standardized numerics + one-hot categories (else raw + label encoding)
    fit: Callable[[TrainData], Estimator]
    load: Callable[[bytes, int], Estimator]  # (artifact, n_classes) -> estimator
    artifact_format: str
    max_classes: int = 0
    scale_option: str | None = None  # the BOOL option that can turn standardization off

    @property
    def supervised(self) -> bool:
        return self.task in ("regression", "classification")

    def scales(self, options: dict) -> bool:
        """Whether numeric features are standardized for a version trained with `options`."""
        return options[self.scale_option] if self.scale_option else True

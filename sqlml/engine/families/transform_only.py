"""model_type='transform_only': a model that holds a fitted TRANSFORM clause and nothing to predict with.

CREATE MODEL m TRANSFORM(...) OPTIONS(model_type='transform_only') AS SELECT ... fits the TRANSFORM on every row of
the query (engine/training/create_model.py); ML.TRANSFORM applies it. Its task, "transform", is one no ML function
but ML.TRANSFORM (and ML.VERSIONS) takes, so ML.PREDICT, ML.EVALUATE and the rest refuse it by their signatures;
EXPORT MODEL has no ONNX builder for it and says so.
"""

from __future__ import annotations

import numpy as np

from sqlml.engine.families.base import Family
from sqlml.errors import NotSupportedError

ARTIFACT = b"{}"


class NoEstimator:
    """What a transform-only version loads as its estimator: it reads no feature and predicts nothing."""

    n_features = 0

    def predict(self, X: np.ndarray) -> np.ndarray:
        raise NotSupportedError("a transform_only model only transforms rows: use ML.TRANSFORM")

    def artifact(self) -> bytes:
        return ARTIFACT

    @classmethod
    def load(cls, data: bytes, n_classes: int) -> NoEstimator:
        if data != ARTIFACT:
            raise ValueError("a transform_only model's artifact is empty")
        return cls()


FAMILIES = (Family("transform_only", "transform", {}, load=NoEstimator.load, artifact_format="json"),)

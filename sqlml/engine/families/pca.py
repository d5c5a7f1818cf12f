"""pca on scikit-learn's PCA, stored as JSON components.

Option mapping: num_principal_components -> n_components, or pca_explained_variance_ratio -> n_components
as a fraction (the fewest components explaining at least that share of the variance); pca_solver FULL /
RANDOMIZED / AUTO -> svd_solver 'full' / 'randomized' / 'auto' (seeded by `seed`). The input is centered;
scale_features (default TRUE) also scales numeric features to unit variance first.

For ML.DETECT_ANOMALIES the model also keeps the quantiles of the training rows' reconstruction errors (the
mean squared difference between a row's encoded features and their reconstruction from its projections).
"""

from __future__ import annotations

import json

import numpy as np

from sqlml.engine.families.base import Family, ScoreQuantiles, TrainData, compiled_by
from sqlml.engine.families.common import COMPUTE, SEED
from sqlml.engine.families.options import Option
from sqlml.engine.store.artifacts import expect, numbers
from sqlml.errors import DataError, ProgrammingError


class PCAModel:
    """Projections (n, n_components): X @ coef.T + intercept, i.e. (X - mean) @ components.T."""

    def __init__(
        self,
        components: np.ndarray,
        mean: np.ndarray,
        explained_variance: np.ndarray,
        explained_variance_ratio: np.ndarray,
        anomaly_quantiles: ScoreQuantiles | None = None,
    ):
        self.coef = np.atleast_2d(np.asarray(components, dtype=np.float64))
        self.mean = np.asarray(mean, dtype=np.float64)
        self.intercept = -self.coef @ self.mean
        self.explained_variance = np.asarray(explained_variance, dtype=np.float64)
        self.explained_variance_ratio = np.asarray(explained_variance_ratio, dtype=np.float64)
        self.anomaly_quantiles = anomaly_quantiles  # None: trained before sqlml kept them

    def predict(self, X: np.ndarray) -> np.ndarray:
        return (X - self.mean) @ self.coef.T

    def reconstruction_error(self, X: np.ndarray) -> np.ndarray:
        """Per row, the mean squared difference between X and its reconstruction from predict()'s projections."""
        return ((X - self.mean - self.predict(X) @ self.coef) ** 2).mean(axis=1)

    def artifact(self) -> bytes:
        state = {
            "components": self.coef.tolist(),
            "mean": self.mean.tolist(),
            "explained_variance": self.explained_variance.tolist(),
            "explained_variance_ratio": self.explained_variance_ratio.tolist(),
        }
        if self.anomaly_quantiles is not None:
            state["anomaly_quantiles"] = self.anomaly_quantiles.state()
        return json.dumps(state).encode()

    @property
    def n_features(self) -> int:
        return self.coef.shape[1]

    @classmethod
    def load(cls, data: bytes, n_classes: int = 0) -> PCAModel:
        """The stored components (one row each), mean, explained variances and anomaly score quantiles."""
        state = json.loads(data)
        expect(n_classes, 0, "the number of classes of a pca model")
        components, mean = numbers(state["components"], 2, "components"), numbers(state["mean"], 1, "mean")
        expect(len(mean), components.shape[1], "the length of mean")
        variances = [numbers(state[key], 1, key) for key in ("explained_variance", "explained_variance_ratio")]
        for key, values in zip(("explained_variance", "explained_variance_ratio"), variances):
            expect(len(values), len(components), f"the length of {key}")
        return cls(components, mean, *variances, ScoreQuantiles.load(state.get("anomaly_quantiles")))


def fit_pca(data: TrainData) -> PCAModel:
    from sklearn.decomposition import PCA

    options = data.options
    n_components = options["num_principal_components"] or options["pca_explained_variance_ratio"]
    most = min(data.X.shape)
    if options["num_principal_components"] and n_components > most:
        raise DataError(
            f"OPTIONS: num_principal_components={n_components} exceeds what the data allows: "
            f"min(rows, encoded features) = {most}"
        )
    model = PCA(n_components, svd_solver=options["pca_solver"].lower(), random_state=options["seed"]).fit(data.X)
    estimator = PCAModel(model.components_, model.mean_, model.explained_variance_, model.explained_variance_ratio_)
    estimator.anomaly_quantiles = ScoreQuantiles.of(estimator.reconstruction_error(data.X))
    return estimator


def components(options: dict) -> None:
    """Exactly one of the two ways to say how many components, the ratio with a solver that takes it."""
    if (options["num_principal_components"] is None) == (options["pca_explained_variance_ratio"] is None):
        raise ProgrammingError("OPTIONS: set exactly one of num_principal_components and pca_explained_variance_ratio")
    if options["pca_explained_variance_ratio"] is not None and options["pca_solver"] == "RANDOMIZED":
        raise ProgrammingError(
            "OPTIONS: pca_explained_variance_ratio needs pca_solver FULL or AUTO; "
            "RANDOMIZED takes num_principal_components"
        )


OPTIONS = {
    **COMPUTE,
    "num_principal_components": Option("int", low=1, high=10_000),
    "pca_explained_variance_ratio": Option("float", low=0.0, high=1.0, open_low=True),
    "scale_features": Option("bool", default=True, tunable=False),
    "pca_solver": Option("enum", ("FULL", "RANDOMIZED", "AUTO"), default="AUTO"),
    "seed": SEED,
}
FAMILIES = (
    Family(
        "pca",
        "dimensionality_reduction",
        OPTIONS,
        fit_pca,
        PCAModel.load,
        "json",
        scale_option="scale_features",
        rules=(components,),
        compile_sql=compiled_by("linear"),
        onnx_builder="pca",
        quantize=("INT8", "FLOAT16"),
    ),
)

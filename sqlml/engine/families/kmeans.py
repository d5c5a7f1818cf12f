"""kmeans on scikit-learn's KMeans (Lloyd), stored as JSON centroids.

Option mapping: num_clusters -> n_clusters (default: round(sqrt(rows / 2)) within [2, 10]),
kmeans_init_method RANDOM / KMEANS++ -> init 'random' / 'k-means++' (seeded by `seed`), CUSTOM -> the rows
whose kmeans_init_col is TRUE, one per cluster. Training runs one Lloyd iteration at a time, up to
max_iterations; with early_stop it ends once an iteration lowers the within-cluster sum of squares by
less than min_rel_progress of its previous value (BigQuery ML's rule). warm_start starts from the previous
version's centroids; an iteration's loss is the mean squared distance to the nearest centroid. distance_type COSINE scales each
row to unit length before clustering (spherical k-means) and reports 1 - cosine similarity.

For ML.DETECT_ANOMALIES the model also keeps, from the training rows, each cluster's radius (the root mean
square distance of its rows to its centroid) and the quantiles of their normalized distances (the shortest
distance to a centroid divided by that centroid's radius).
"""

from __future__ import annotations

import json
import math
import time
import warnings

import numpy as np

from sqlml.engine.families.base import Family, ScoreQuantiles, TrainData, compiled_by, record_iteration
from sqlml.engine.families.common import COMPUTE, EARLY_STOP, SEED, TUNING, WARM_START, iterations
from sqlml.engine.families.options import Option
from sqlml.engine.store.artifacts import expect, numbers
from sqlml.errors import DataError, ProgrammingError

MAX_NEAREST = 5  # nearest_centroids_distance lists this many centroids at most, as BigQuery ML


class KMeansModel:
    """Distances (n, n_clusters) from each row to each centroid."""

    def __init__(
        self,
        centroids: np.ndarray,
        cosine: bool,
        radii: np.ndarray | None = None,
        anomaly_quantiles: ScoreQuantiles | None = None,
    ):
        self.centroids = np.asarray(centroids, dtype=np.float64)
        self.cosine = cosine
        self.radii = None if radii is None else np.asarray(radii, dtype=np.float64)
        self.anomaly_quantiles = anomaly_quantiles  # None: trained before sqlml kept them

    def predict(self, X: np.ndarray) -> np.ndarray:
        if self.cosine:
            return 1.0 - _unit_rows(X) @ _unit_rows(self.centroids).T
        # centroid by centroid: exact near zero, unlike |x|^2 - 2 x.c + |c|^2
        return np.sqrt(np.stack([((X - c) ** 2).sum(axis=1) for c in self.centroids], axis=1))

    def normalize(self, distances: np.ndarray) -> np.ndarray:
        """predict()'s distances divided by each cluster's radius; a cluster of radius 0 (its rows all on its
        centroid, or no rows) is at normalized distance 0 from its centroid and infinitely far elsewhere."""
        return np.divide(distances, self.radii, out=np.where(distances > 0, np.inf, 0.0), where=self.radii > 0)

    def learn_anomaly_scale(self, X: np.ndarray) -> None:
        """Keep the cluster radii and the quantiles of the normalized distances of the training rows `X`."""
        distances = self.predict(X)
        nearest = distances.argmin(axis=1)
        k = len(self.centroids)
        squares = np.bincount(nearest, distances[np.arange(len(X)), nearest] ** 2, minlength=k)
        self.radii = np.sqrt(squares / np.maximum(np.bincount(nearest, minlength=k), 1))
        self.anomaly_quantiles = ScoreQuantiles.of(self.normalize(distances).min(axis=1))

    def artifact(self) -> bytes:
        state = {"centroids": self.centroids.tolist(), "cosine": self.cosine}
        if self.anomaly_quantiles is not None:
            state |= {"radii": self.radii.tolist(), "anomaly_quantiles": self.anomaly_quantiles.state()}
        return json.dumps(state).encode()

    @property
    def n_features(self) -> int:
        return self.centroids.shape[1]

    @classmethod
    def load(cls, data: bytes, n_classes: int = 0) -> KMeansModel:
        """The stored centroids (a radius each, when kept) and anomaly score quantiles."""
        state = json.loads(data)
        expect(n_classes, 0, "the number of classes of a kmeans model")
        centroids = numbers(state["centroids"], 2, "centroids")
        if not isinstance(state["cosine"], bool):
            raise ValueError("cosine is not TRUE or FALSE")
        radii = state.get("radii")
        if radii is not None:
            radii = numbers(radii, 1, "radii")
            expect(len(radii), len(centroids), "the number of radii")
        return cls(centroids, state["cosine"], radii, ScoreQuantiles.load(state.get("anomaly_quantiles")))


def _unit_rows(X: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1; an all-zero row stays zero (cosine similarity 0 with everything)."""
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return X / np.where(norms > 0, norms, 1.0)


def default_clusters(n_rows: int) -> int:
    return min(10, max(2, round(math.sqrt(n_rows / 2))))


def fit_kmeans(data: TrainData) -> KMeansModel:
    from sklearn.cluster import KMeans
    from sklearn.exceptions import ConvergenceWarning

    options = data.options
    cosine = options["distance_type"] == "COSINE"
    X = _unit_rows(data.X) if cosine else data.X
    k = options["num_clusters"] or (len(data.init.centroids) if data.init is not None else default_clusters(len(X)))
    if len(X) < k:
        raise DataError(f"OPTIONS: num_clusters={k} needs at least {k} training rows, the query gave {len(X)}")
    if data.init is not None:  # warm_start: Lloyd iterations continue from the previous centroids
        if len(data.init.centroids) != k:
            raise DataError(f"warm_start: the model has {len(data.init.centroids)} clusters, num_clusters is {k}")
        init = data.init.centroids
    elif options["kmeans_init_method"] == "CUSTOM":
        if len(data.X_init) != k:
            raise DataError(
                f"kmeans_init_col '{options['kmeans_init_col']}' is TRUE in {len(data.X_init)} "
                f"row(s); it must mark exactly num_clusters ({k}) rows as initial centroids"
            )
        init = _unit_rows(data.X_init) if cosine else data.X_init
    else:
        init = {"RANDOM": "random", "KMEANS++": "k-means++"}[options["kmeans_init_method"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # fewer distinct points than clusters
        started = time.perf_counter()
        model = KMeans(k, init=init, n_init=1, max_iter=1, random_state=options["seed"]).fit(X)
        started = record_iteration(data.history, started, model.inertia_ / len(X), cluster_info=_clusters(model, X))
        for _ in range(options["max_iterations"] - 1):
            step = KMeans(k, init=model.cluster_centers_, n_init=1, max_iter=1).fit(X)
            previous, model = model.inertia_, step
            started = record_iteration(data.history, started, model.inertia_ / len(X), cluster_info=_clusters(model, X))
            if options["early_stop"] and previous - model.inertia_ < options["min_rel_progress"] * previous:
                break
    estimator = KMeansModel(model.cluster_centers_, cosine)
    estimator.learn_anomaly_scale(data.X)
    return estimator


def _clusters(model, X: np.ndarray) -> list[dict]:
    """ML.TRAINING_INFO's cluster_info of a fitted scikit-learn KMeans: each cluster's centroid_id (1-based),
    radius (the root mean square distance of its rows to its centroid, in the encoded, standardized features)
    and size."""
    k = len(model.cluster_centers_)
    sizes = np.bincount(model.labels_, minlength=k)
    squares = np.bincount(model.labels_, ((X - model.cluster_centers_[model.labels_]) ** 2).sum(axis=1), minlength=k)
    radii = np.sqrt(squares / np.maximum(sizes, 1))
    return [{"centroid_id": j + 1, "cluster_radius": float(radii[j]), "cluster_size": int(sizes[j])} for j in range(k)]


def custom_init(options: dict) -> None:
    if (options["kmeans_init_method"] == "CUSTOM") != (options["kmeans_init_col"] is not None):
        raise ProgrammingError(
            "OPTIONS: kmeans_init_method='CUSTOM' and kmeans_init_col go together: the "
            "column marks (TRUE) the rows that are the initial centroids"
        )


OPTIONS = {
    **COMPUTE,
    "num_clusters": Option("int", low=2, high=100),
    "kmeans_init_method": Option("enum", ("RANDOM", "KMEANS++", "CUSTOM"), default="RANDOM"),
    "kmeans_init_col": Option("str", tunable=False),
    "distance_type": Option("enum", ("EUCLIDEAN", "COSINE"), default="EUCLIDEAN"),
    "standardize_features": Option("bool", default=True, tunable=False),
    **iterations(20),
    **EARLY_STOP,
    "seed": SEED,
    **TUNING,
    **COMPUTE,
    **WARM_START,
}
FAMILIES = (
    Family(
        "kmeans",
        "clustering",
        OPTIONS,
        fit_kmeans,
        KMeansModel.load,
        "json",
        scale_option="standardize_features",
        rules=(custom_init,),
        search_space={"num_clusters": {"hparam_range": [2, 10]}},
        warm_start_kept=("num_clusters", "standardize_features", "distance_type"),
        compile_sql=compiled_by("kmeans"),
        onnx_builder="kmeans",
    ),
)

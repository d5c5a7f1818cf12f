"""ML.EVALUATE's metrics, computed with scikit-learn, under BigQuery ML's column names.

Binary classifiers score the positive (higher) class at `threshold`; multiclass precision, recall and
f1_score are macro averages over the classes present in the labels or predictions (scikit-learn's
default), roc_auc a one-vs-rest macro average. A metric that is undefined for the rows given (precision
with no positive prediction, roc_auc with a class absent, mean_squared_log_error with negative values) is
NULL; a class undefined within a macro average is left out of it.

scikit-learn is imported by the functions that use it: `import sqlml` loads no ML library.
"""

from __future__ import annotations

import numpy as np

from sqlml.engine.store.model import predicted_labels

CLASSIFICATION_METRICS = ("precision", "recall", "accuracy", "f1_score", "log_loss", "roc_auc")
REGRESSION_METRICS = (
    "mean_absolute_error",
    "mean_squared_error",
    "mean_squared_log_error",
    "median_absolute_error",
    "r2_score",
    "explained_variance",
)
CLUSTERING_METRICS = ("davies_bouldin_index", "mean_squared_distance")
AUTOENCODER_METRICS = ("mean_absolute_error", "mean_squared_error", "mean_squared_log_error")
LOG_FLOOR = 1e-7  # tf.keras's MSLE clips values to its epsilon before log1p


def classification_metrics(y: np.ndarray, probabilities: np.ndarray, threshold: float = 0.5) -> dict:
    """Metrics of class indices `y` against predicted probabilities (n, n_classes)."""
    from sklearn import metrics as skm

    n_classes = probabilities.shape[1]
    predicted = predicted_labels(probabilities, threshold)
    labels = list(range(n_classes))
    binary = n_classes == 2
    average = {"average": "binary", "pos_label": 1} if binary else {"average": "macro"}
    result = {
        "precision": skm.precision_score(y, predicted, zero_division=np.nan, **average),
        "recall": skm.recall_score(y, predicted, zero_division=np.nan, **average),
        "accuracy": skm.accuracy_score(y, predicted),
        "f1_score": skm.f1_score(y, predicted, zero_division=np.nan, **average),
        "log_loss": skm.log_loss(y, probabilities, labels=labels),
        "roc_auc": None,
    }
    if len(np.unique(y)) == n_classes:
        result["roc_auc"] = (
            skm.roc_auc_score(y, probabilities[:, 1])
            if binary
            else skm.roc_auc_score(y, probabilities, multi_class="ovr", average="macro", labels=labels)
        )
    return {k: (None if v is None or np.isnan(v) else float(v)) for k, v in result.items()}


def regression_metrics(y: np.ndarray, predicted: np.ndarray) -> dict:
    """Metrics of true values `y` against predictions."""
    from sklearn import metrics as skm

    msle = skm.mean_squared_log_error(y, predicted) if (y >= 0).all() and (predicted >= 0).all() else None
    result = {
        "mean_absolute_error": skm.mean_absolute_error(y, predicted),
        "mean_squared_error": skm.mean_squared_error(y, predicted),
        "mean_squared_log_error": msle,
        "median_absolute_error": skm.median_absolute_error(y, predicted),
        "r2_score": skm.r2_score(y, predicted) if len(y) > 1 else None,
        "explained_variance": skm.explained_variance_score(y, predicted) if len(y) > 1 else None,
    }
    return {k: (None if v is None else float(v)) for k, v in result.items()}


def clustering_metrics(X: np.ndarray, distances: np.ndarray) -> dict:
    """k-means metrics of encoded rows `X` and their distances (n, n_clusters) to the centroids:
    the Davies-Bouldin index of the nearest-centroid assignment (NULL unless it has 2 to n-1 clusters)
    and the mean squared distance to the nearest centroid."""
    from sklearn import metrics as skm

    labels = distances.argmin(axis=1)
    clusters = len(np.unique(labels))
    return {
        "davies_bouldin_index": float(skm.davies_bouldin_score(X, labels)) if 1 < clusters < len(X) else None,
        "mean_squared_distance": float((distances.min(axis=1) ** 2).mean()),
    }


def pca_metrics(X: np.ndarray, components: np.ndarray) -> dict:
    """The share of the variance of encoded rows `X` that their principal `components` keep."""
    total = X.var(axis=0).sum()
    return {"total_explained_variance_ratio": float(components.var(axis=0).sum() / total) if total > 0 else None}


def reconstruction_losses(X: np.ndarray, reconstruction: np.ndarray) -> dict[str, np.ndarray]:
    """Per row of encoded rows `X` and an autoencoder's `reconstruction` of them, the mean over the encoded
    features of |difference|, difference^2 and (log1p(max(r, LOG_FLOOR)) - log1p(max(x, LOG_FLOOR)))^2
    (tf.keras.losses.MSLE: standardized features may be negative)."""
    difference = reconstruction - X
    logs = np.log1p(np.maximum(reconstruction, LOG_FLOOR)) - np.log1p(np.maximum(X, LOG_FLOOR))
    return {
        "mean_absolute_error": np.abs(difference).mean(axis=1),
        "mean_squared_error": (difference**2).mean(axis=1),
        "mean_squared_log_error": (logs**2).mean(axis=1),
    }


def reconstruction_metrics(X: np.ndarray, reconstruction: np.ndarray) -> dict:
    """An autoencoder's metrics: reconstruction_losses averaged over the rows."""
    return {name: float(values.mean()) for name, values in reconstruction_losses(X, reconstruction).items()}


def loss(task: str, y: np.ndarray | None, scores: np.ndarray) -> float | None:
    """The training loss ML.TRAINING_INFO reports for a single-shot solver: mean squared error for
    regression, log loss for classification, none otherwise."""
    from sklearn import metrics as skm

    if task == "regression":
        return float(skm.mean_squared_error(y, scores))
    if task == "classification":
        return float(skm.log_loss(y, scores, labels=list(range(scores.shape[1]))))
    return None


def compute(
    task: str, y: np.ndarray | None, scores: np.ndarray, X: np.ndarray | None = None, threshold: float = 0.5
) -> dict:
    """The metric row of a model's scores: against labels `y` (regression, classification) or of the
    encoded rows `X` (clustering, dimensionality_reduction, autoencoder)."""
    if task == "classification":
        return classification_metrics(y, scores, threshold)
    if task == "regression":
        return regression_metrics(y, scores)
    if task == "autoencoder":  # scores: the reconstruction of X
        return reconstruction_metrics(X, scores)
    return clustering_metrics(X, scores) if task == "clustering" else pca_metrics(X, scores)

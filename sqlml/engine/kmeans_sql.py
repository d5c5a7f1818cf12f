"""ML.PREDICT of kmeans compiled to one DuckDB SQL query: each centroid's distance is an SQL expression.

EUCLIDEAN: the square root of the summed squared differences of the encoded features. A numeric feature
contributes (a * coalesce(x, mean) + b - c)^2; a one-hot block the sum of its centroid values squared,
corrected by 1 - 2c for the row's own category. COSINE: 1 - (row . centroid) / (|row| |centroid|), the dot
products built like linear scores (engine/linear_sql.py). The distances, sorted with their centroid ids
(ties: the lower id first, as the streaming path's stable argsort), give centroid_id and
nearest_centroids_distance. Values match the streaming path (engine/predict.py) to rounding.
"""

from __future__ import annotations

import duckdb
import numpy as np

from sqlml.engine.linear_sql import (balanced_sum, categorical_term, input_features, linear_scores, number,
                                     scored_source)
from sqlml.engine.model import Model
from sqlml.engine.trainers.kmeans import MAX_NEAREST


def _encoded_numeric(model: Model, spec: dict, column: str, shift: float = 0.0) -> str:
    """The encoded value of a numeric feature minus `shift`."""
    a, b = model.encoder.affine(spec)
    return f"{number(a)} * coalesce(CAST({column} AS DOUBLE), {number(spec['mean'])}) + {number(b - shift)}"


def _euclidean(model: Model, features: list[tuple], centroid: np.ndarray) -> str:
    terms, position = [], 0
    for spec, column, width in features:
        if spec["kind"] == "numeric":
            terms.append(f"pow({_encoded_numeric(model, spec, column, centroid[position])}, 2)")
        else:
            block = centroid[position:position + width]
            terms.append(f"({number((block ** 2).sum())} + {categorical_term(column, list(1 - 2 * block), spec)})")
        position += width
    return f"sqrt(greatest({balanced_sum(terms)}, 0.0))"


def _cosine(model: Model, features: list[tuple], centroids: np.ndarray) -> list[str]:
    squares = [f"pow({_encoded_numeric(model, spec, column)}, 2)" if spec["kind"] == "numeric"
               else categorical_term(column, [1.0] * width, spec) for spec, column, width in features]
    norm = f"sqrt({balanced_sum(squares)})"
    dots = linear_scores(model, features, centroids, np.zeros(len(centroids)))
    return [f"CASE WHEN {norm} > 0 THEN 1 - ({dot}) / ({norm} * {number(np.linalg.norm(c))}) ELSE 1.0 END"
            if np.linalg.norm(c) > 0 else "1.0" for dot, c in zip(dots, centroids)]


def compile_predict(model: Model, input_sql: str, relation: duckdb.DuckDBPyRelation,
                    mapping: dict[str, str], threshold: float | None) -> str | None:
    """The SQL of ML.PREDICT over `input_sql` (whose bound `relation` gives column types), or None."""
    features, floats = input_features(model, relation, mapping)
    if features is None:
        return None
    centroids = model.estimator.centroids
    distances = _cosine(model, features, centroids) if model.estimator.cosine else \
        [_euclidean(model, features, c) for c in centroids]
    internal = ", ".join(f"__sqlml_s{j}" for j in range(len(distances)))
    entries = ", ".join(f"{{'d': __sqlml_s{j}, 'i': {j + 1}::BIGINT}}" for j in range(len(distances)))
    shown = min(len(distances), MAX_NEAREST)
    return (f"SELECT * EXCLUDE ({internal}, __sqlml_sorted), __sqlml_sorted[1].i AS centroid_id, "
            f"[struct_pack(centroid_id := e.i, distance := e.d) FOR e IN __sqlml_sorted[1:{shown}]] "
            f"AS nearest_centroids_distance "
            f"FROM (SELECT *, list_sort([{entries}]) AS __sqlml_sorted FROM {scored_source(input_sql, distances, floats)})")

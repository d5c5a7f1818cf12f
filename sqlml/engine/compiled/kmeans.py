"""ML.PREDICT of kmeans compiled to one DuckDB SQL query: each centroid's distance is an SQL expression.

Numeric features are encoded once per row (z = a * x + b, NULL as the encoded mean). EUCLIDEAN: the square root of
the summed squared differences of the encoded features: (z - c)^2 per numeric feature; a one-hot block
contributes the sum of its centroid values squared, corrected by 1 - 2c for the row's own category.
COSINE: 1 - (row . centroid) / (|row| |centroid|). CENTROID_ID is the first nearest centroid (ties: the
lower id, as the streaming path's argmin); NEAREST_CENTROIDS_DISTANCE sorts (distance, id) pairs, and DuckDB
computes it only when a query uses it. Values match the streaming path (engine/functions/predict.py) to rounding.
"""

from __future__ import annotations

import duckdb
import numpy as np

from sqlml.engine.compiled.linear import (
    balanced_sum,
    cached,
    categorical_term,
    checked_source,
    input_features,
    internal_prefix,
    number,
    scored_source,
)
from sqlml.engine.families.kmeans import MAX_NEAREST
from sqlml.engine.store.model import Model


def _encoded_numeric(model: Model, spec: dict, value: str) -> str:
    """The encoded value of a numeric feature (`value`: its DOUBLE input): a * x + b, NULL being the encoded
    mean (exactly 0 when standardized, as in the streaming path: a mean-imputed row may be all zeros, which
    COSINE must see)."""
    if not model.encoder.scale:
        return f"coalesce({value}, {number(spec['mean'])})"
    a, b = model.encoder.affine(spec)
    return f"coalesce({number(a)} * {value} + {number(b)}, 0.0)"


def _euclidean(features: list[tuple], centroid: np.ndarray) -> str:
    """The distance to `centroid`; a one-hot block's correction may round a sum below 0 (clamped), a sum of
    squares never."""
    terms, position = [], 0
    for spec, column, width in features:
        if spec["kind"] == "numeric":  # `column` is the encoded value here (see compile_predict)
            difference = f"({column} - {number(centroid[position])})"
            terms.append(f"{difference} * {difference}")
        else:
            block = centroid[position : position + width]
            terms.append(f"({number((block**2).sum())} + {categorical_term(column, list(1 - 2 * block), spec)})")
        position += width
    squares = balanced_sum(terms)
    return (
        f"sqrt({squares})"
        if all(spec["kind"] == "numeric" for spec, _, _ in features)
        else f"sqrt(greatest({squares}, 0.0))"
    )


def _cosine(model: Model, features: list[tuple], centroids: np.ndarray) -> list[str]:
    squares = [
        f"{column} * {column}" if spec["kind"] == "numeric" else categorical_term(column, [1.0] * width, spec)
        for spec, column, width in features
    ]
    norm = f"sqrt({balanced_sum(squares)})"
    dots = []
    for c in centroids:
        terms, position = [], 0
        for spec, column, width in features:
            terms.append(
                f"{number(c[position])} * {column}"
                if spec["kind"] == "numeric"
                else categorical_term(column, list(c[position : position + width]), spec)
            )
            position += width
        dots.append(balanced_sum(terms))
    return [
        f"CASE WHEN {norm} > 0 THEN 1 - ({dot}) / ({norm} * {number(np.linalg.norm(c))}) ELSE 1.0 END"
        if np.linalg.norm(c) > 0
        else "1.0"
        for dot, c in zip(dots, centroids)
    ]


def centroid_distances(model: Model, features: list[tuple], p: str) -> tuple[list[str], list[str]]:
    """(the encoded numeric features as `expression AS <p>z<i>` columns, each centroid's distance reading them)."""
    encoded, z_features = [], []
    for spec, column, width in features:
        if spec["kind"] == "numeric":
            z_features.append((spec, f"{p}z{len(encoded)}", width))
            encoded.append(f"{_encoded_numeric(model, spec, column)} AS {p}z{len(encoded)}")
        else:
            z_features.append((spec, column, width))
    centroids = model.estimator.centroids
    if model.estimator.cosine:
        return encoded, _cosine(model, z_features, centroids)
    return encoded, [_euclidean(z_features, c) for c in centroids]


@cached
def compile_predict(
    model: Model, input_sql: str, relation: duckdb.DuckDBPyRelation, mapping: dict[str, str], threshold: float | None
) -> str | None:
    """The SQL of ML.PREDICT over `input_sql` (whose bound `relation` gives column types), or None.

    Numeric features are encoded once per row into <prefix>z<i> columns that every distance reads (the prefix:
    linear_sql.internal_prefix, so they never clash with an input column)."""
    features, floats = input_features(model, relation, mapping)
    if features is None:
        return None
    p = internal_prefix(relation.columns)
    encoded, distances = centroid_distances(model, features, p)
    with_z = f"SELECT *, {', '.join(encoded)} FROM ({input_sql}) AS {p}raw" if encoded else input_sql
    s = [f"{p}s{j}" for j in range(len(distances))]
    internal = ", ".join(s + [f"{p}z{i}" for i in range(len(encoded))])
    listed = ", ".join(s)
    entries = ", ".join(f"{{'d': {sj}, 'i': {j + 1}::BIGINT}}" for j, sj in enumerate(s))
    shown = min(len(distances), MAX_NEAREST)
    source = checked_source(model, scored_source(with_z, distances, p), floats, p)
    return (
        f"SELECT CAST(list_position([{listed}], least({listed})) AS BIGINT) AS CENTROID_ID, "
        f"[struct_pack(CENTROID_ID := e.i, DISTANCE := e.d) FOR e IN list_sort([{entries}])[1:{shown}]] "
        f"AS NEAREST_CENTROIDS_DISTANCE, * EXCLUDE ({internal}) FROM {source}"
    )

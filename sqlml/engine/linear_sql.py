"""ML.PREDICT of linear_reg / logistic_reg / pca compiled to one DuckDB SQL query (no Python per row).

The preprocessing folds into the weights: a standardized numeric feature contributes
(w / std) * coalesce(x, mean) minus a constant; a one-hot category contributes its weight through a CASE.
The query has three levels: per-class scores (per-component projections for pca), probabilities (a
numerically stable sigmoid, or a softmax), then the BigQuery ML output columns. A NaN or infinite feature value
makes the first score non-finite, so one check of that score per row raises the streaming path's DataError
(naming the column, found only on such a row). The query's own columns carry a prefix no input column starts
with (`internal_prefix`), and it names each input column a fixed number of times per score, so its size and
DuckDB's planning time grow linearly with the feature count. Values match the streaming path
(engine/predict.py) to floating-point rounding. `compile_predict` returns None when the input cannot be
scored identically this way (a feature whose input column is not of a plain numeric, string, bool or date
type, or a timestamp feature): such input streams through Python instead.
"""

from __future__ import annotations

import itertools
import re
from typing import Iterable

import duckdb

from sqlml.engine.model import Model
from sqlml.engine.params import literal, quote_identifier

DATA_ERROR_MARKER = "sqlml.DataError: "  # error() messages carrying it are re-raised as sqlml.DataError

_NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
            "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE", "DECIMAL")
_CATEGORICAL = ("VARCHAR", "BOOLEAN", "DATE")
_LABEL_TYPES = {"string": "VARCHAR", "large_string": "VARCHAR", "bool": "BOOLEAN", "int8": "TINYINT",
                "int16": "SMALLINT", "int32": "INTEGER", "int64": "BIGINT", "uint8": "UTINYINT",
                "uint16": "USMALLINT", "uint32": "UINTEGER", "uint64": "UBIGINT"}


_PREFIXED = re.compile(r"__sqlml(\d*)_")


def internal_prefix(columns: Iterable[str]) -> str:
    """A prefix that no name of `columns` starts with (case-insensitively): `__sqlml_`, else `__sqlml1_`,
    `__sqlml2_`, ...; the compiled query's own columns and aliases carry it, so none clashes with an input's."""
    taken = {match.group(1) for name in columns if (match := _PREFIXED.match(name.lower()))}
    return next(f"__sqlml{n or ''}_" for n in itertools.count() if (str(n) if n else "") not in taken)


def number(value: float) -> str:
    return f"({float(value)!r})"


def balanced_sum(terms: list[str]) -> str:
    """`terms` added as a balanced tree: expression depth log2(n), within DuckDB's parser limit even
    for thousands of features."""
    if len(terms) == 1:
        return terms[0]
    middle = len(terms) // 2
    return f"({balanced_sum(terms[:middle])} + {balanced_sum(terms[middle:])})"


def numeric_term(column: str, weight: float, spec: dict, affine: tuple[float, float]) -> tuple[str, float]:
    """(expression, constant) of `weight` times one encoded numeric feature (a * imputed value + b)."""
    a, b = affine
    return f"{number(weight * a)} * coalesce(CAST({column} AS DOUBLE), {number(spec['mean'])})", weight * b


def finite_check(model: Model, score: str, floats: dict[str, str]) -> str:
    """`score` (a column), or an error naming the first NaN/inf column of `floats` (feature -> quoted column),
    found by position in one list of them (a CASE per column, in a query this wide, takes DuckDB quadratic
    time to plan); a non-finite score from finite values overflowed."""
    names = ", ".join(map(literal, floats))
    finite = ", ".join(f"isfinite(CAST({column} AS DOUBLE))" for column in floats.values())
    column = (f"{literal(DATA_ERROR_MARKER + 'column ' + chr(39))} || [{names}][list_position([{finite}], false)] || "
              + literal("' has NaN or infinite value(s); replace or filter them (NULL is the missing value, imputed "
                        "with the training mean)"))
    overflow = literal(f"{DATA_ERROR_MARKER}the scores of model {model.version.qualified_name} overflow double "
                       "precision: input values are too large in magnitude; rescale or filter them")
    return f"CASE WHEN isfinite({score}) THEN {score} ELSE error(coalesce({column}, {overflow})) END"


def categorical_term(column: str, weights: list[float], spec: dict) -> str:
    """One one-hot encoded feature's share of a score: the weight of its category, 0 if unseen."""
    cases = " ".join(f"WHEN {literal(value)} THEN {number(w)}" for value, w in zip(spec["vocabulary"], weights))
    known = f"CASE CAST({column} AS VARCHAR) {cases} ELSE 0.0 END" if cases else "0.0"
    null = number(weights[-1]) if spec["has_null"] else "0.0"
    return f"(CASE WHEN {column} IS NULL THEN {null} ELSE {known} END)"


def compilable_features(model: Model, columns: dict[str, str], types: dict[str, str]) -> list[tuple] | None:
    """(spec, quoted input column, width in the encoded matrix) per feature, or None if some feature's
    input type cannot be encoded in SQL exactly as the streaming path encodes it."""
    features = []
    for spec in model.encoder.specs:
        column, duck_type = quote_identifier(columns[spec["name"]]), types[spec["name"]]
        if spec["kind"] == "numeric" and duck_type.startswith(_NUMERIC):
            features.append((spec, column, 1))
        elif spec["kind"] == "categorical" and duck_type in _CATEGORICAL and \
                spec["type"].split("[")[0] in ("string", "large_string", "bool", "date32"):
            features.append((spec, column, len(spec["vocabulary"]) + spec["has_null"]))
        else:
            return None
    return features


def linear_scores(model: Model, features: list[tuple], coef, intercept) -> list[str]:
    """One SQL expression per row of `coef`: the encoded features times it, plus `intercept`."""
    expressions = []
    for weights, constant in zip(coef, intercept):
        terms, constant, position = [], float(constant), 0
        for spec, column, width in features:
            if spec["kind"] == "numeric":
                term, shift = numeric_term(column, weights[position], spec, model.encoder.affine(spec))
                constant += shift
            else:
                term = categorical_term(column, list(weights[position:position + width]), spec)
            terms.append(term)
            position += width
        expressions.append(balanced_sum([number(constant), *terms]))
    return expressions


def _class_literal(model: Model, index: int) -> str:
    return f"CAST({literal(model.classes[index].as_py())} AS {_LABEL_TYPES[model.version.label_type]})"


def input_features(model: Model, relation: duckdb.DuckDBPyRelation, mapping: dict[str, str]):
    """(compilable_features, {feature: quoted FLOAT/DOUBLE input column}) of an input relation; the first
    is None when the input cannot be compiled."""
    types = dict(zip(relation.columns, (str(t) for t in relation.types)))
    features = compilable_features(model, mapping, {name: types[column] for name, column in mapping.items()})
    floats = {name: quote_identifier(column) for name, column in mapping.items()
              if types[column] in ("FLOAT", "DOUBLE")}
    return features, floats


def scored_source(model: Model, input_sql: str, scores: list[str], floats: dict[str, str], prefix: str) -> str:
    """A subquery: the input plus <prefix>s<j> := scores[j], the first checked finite when the input has float
    columns (a NaN or infinite value raises the DataError naming the column)."""
    first = f"{prefix}unchecked" if floats else f"{prefix}s0"
    named = ", ".join(f"{s} AS {first if j == 0 else f'{prefix}s{j}'}" for j, s in enumerate(scores))
    source = f"(SELECT *, {named} FROM ({input_sql}) AS {prefix}input)"
    if floats:  # not SELECT * REPLACE: planning it with an expression reading every column is quadratic
        source = f"(SELECT * EXCLUDE ({first}), {finite_check(model, first, floats)} AS {prefix}s0 FROM {source})"
    return source


def compile_predict(model: Model, input_sql: str, relation: duckdb.DuckDBPyRelation,
                    mapping: dict[str, str], threshold: float | None) -> str | None:
    """The SQL of ML.PREDICT over `input_sql` (whose bound `relation` gives column types), or None."""
    if model.is_classifier and model.version.label_type not in _LABEL_TYPES:
        return None
    features, floats = input_features(model, relation, mapping)
    if features is None:
        return None
    p = internal_prefix(relation.columns)
    scores = linear_scores(model, features, model.estimator.coef, model.estimator.intercept)
    source = scored_source(model, input_sql, scores, floats, p)
    s = [f"{p}s{j}" for j in range(len(scores))]
    if model.task == "dimensionality_reduction":
        components = ", ".join(f"{sj} AS principal_component_{j + 1}" for j, sj in enumerate(s))
        return f"SELECT * EXCLUDE ({', '.join(s)}), {components} FROM {source}"
    label = model.version.label
    if not model.is_classifier:
        return f"SELECT * EXCLUDE ({s[0]}), {s[0]} AS {quote_identifier('predicted_' + label)} FROM {source}"
    k = len(model.classes)
    ps = [f"{p}p{j}" for j in range(k)]
    if len(scores) == 1:  # binary: the score of the positive class through a stable sigmoid
        positive = f"CASE WHEN {s[0]} >= 0 THEN 1 / (1 + exp(-{s[0]})) ELSE exp({s[0]}) / (1 + exp({s[0]})) END"
        probabilities = f"1 - ({positive}) AS {ps[0]}, {positive} AS {ps[1]}"
    else:  # softmax, shifted by the largest score
        top = f"greatest({', '.join(s)})"
        exps = [f"exp({sj} - {top})" for sj in s]
        probabilities = ", ".join(f"{e} / ({' + '.join(exps)}) AS {pj}" for e, pj in zip(exps, ps))
    if k == 2:
        predicted = f"CASE WHEN {ps[1]} > {number(threshold)} THEN {_class_literal(model, 1)} " \
                    f"ELSE {_class_literal(model, 0)} END"
    else:
        listed = ", ".join(ps)
        predicted = f"[{', '.join(_class_literal(model, j) for j in range(k))}][list_position([{listed}], " \
                    f"greatest({listed}))]"
    probs = ", ".join(f"struct_pack(label := {_class_literal(model, j)}, prob := {pj})" for j, pj in enumerate(ps))
    return (f"SELECT * EXCLUDE ({', '.join(s + ps)}), {predicted} AS {quote_identifier('predicted_' + label)}, "
            f"[{probs}] AS {quote_identifier('predicted_' + label + '_probs')} "
            f"FROM (SELECT *, {probabilities} FROM {source})")

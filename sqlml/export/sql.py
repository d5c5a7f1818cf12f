"""EXPORT MODEL m OPTIONS(uri='m.sql', format='sql', dialect=..., input=...): ML.PREDICT as one SQL query.

The query reads FROM the `input` table or view (default `input`) and returns the prediction columns, named as
ML.PREDICT names them, then the input's columns (the training query's, but the label and a TRANSFORM's own
columns; a pca model's without the columns its features read). It is built in DuckDB's SQL from portable
scalar expressions only (arithmetic, CASE, COALESCE, EXP, SQRT, GREATEST, casts, arrays of structs for the
probabilities and nearest centroids), in levels of subqueries whose own columns carry a prefix no input column
starts with, then transpiled by sqlglot to `dialect` (PostgreSQL's structs as jsonb objects, and OFFSET 0 on
each level so its planner does not substitute one level's expressions into the next). The families whose
ML.PREDICT is compiled to SQL (engine/compiled: linear_reg, logistic_reg, kmeans, pca), boosted trees (each
LightGBM tree as nested CASE expressions, missing-value branches included), random forests (scikit-learn
trees) and the networks (export/sql_network.py: dnn_*, dnn_linear_combined_*, the autoencoder's middle layer)
export this way, as does an automl_* model through its winning family, a TRANSFORM included (its SQL
transpiled as written). A probability is a sigmoid or softmax taking exp of non-positive values only. Unlike
ML.PREDICT, a NaN or infinite input value is not reported as an error.

Verification before writing: the DuckDB rendering runs over the ONNX export's verification rows
(export/verify.py) and must agree with the engine's own predictions on at least 99.9% of labels (classes,
centroid ids) and within 1e-6 relative on values (probabilities, distances, components, predictions); the
rendering in `dialect` must parse back with sqlglot.
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect

from sqlml.engine.compiled.kmeans import centroid_distances
from sqlml.engine.compiled.linear import (
    _LABEL_TYPES,
    _class_literal,
    balanced_sum,
    input_features,
    internal_prefix,
    linear_scores,
    number,
)
from sqlml.engine.context import MLContext
from sqlml.engine.data.transform import registered
from sqlml.engine.families.kmeans import MAX_NEAREST
from sqlml.engine.functions.predict import predicted as shown_scores
from sqlml.engine.sqltext.quoting import literal, quote_identifier
from sqlml.engine.store.model import Model, predicted_labels
from sqlml.errors import DataError, NotSupportedError, ProgrammingError
from sqlml.export.sql_network import NETWORKS, exp_of, network_scores, sigmoid
from sqlml.export.verify import native_features, verification_rows

MIN_AGREEMENT, MAX_RELATIVE_DIFF = 0.999, 1e-6
THRESHOLD = 0.5  # ML.PREDICT's default for a binary classifier


def dialects() -> list[str]:
    """The dialects sqlglot writes, by the names `dialect=` takes."""
    return sorted(name for name in Dialect.classes if name)


def check_dialect(name: str) -> str:
    """`name` lower-cased; ProgrammingError naming it and the valid ones if sqlglot has no such dialect."""
    if name.lower() not in dialects():
        raise ProgrammingError(
            f"OPTIONS: unknown dialect {name!r} for format='sql'; valid dialects: " + ", ".join(dialects())
        )
    return name.lower()


def input_table(name: str) -> str:
    """The `input` option (a table or view, optionally qualified) as DuckDB SQL; ProgrammingError otherwise."""
    try:
        table = exp.to_table(name, dialect="duckdb")
    except sqlglot.errors.ParseError:
        table = None
    named = isinstance(table, exp.Table) and table.name
    if not named or any(value for key, value in table.args.items() if key not in ("this", "db", "catalog")):
        raise ProgrammingError(f"OPTIONS: input must name a table or view, e.g. 'schema.table'; got {name!r}")
    return table.sql("duckdb")


COVERED = (
    "linear_reg, logistic_reg, kmeans, pca, boosted trees, random forests, dnn_*, dnn_linear_combined_*, "
    "autoencoder, and automl_* by its winning family"
)


def _not_supported(what: str) -> NotSupportedError:
    return NotSupportedError(
        f"EXPORT MODEL: format='sql' does not cover {what} yet (it covers {COVERED}); export it with format='onnx'"
    )


def _check_exportable(model: Model) -> None:
    family = model.family
    compiled = family.compile_sql is not None or family.onnx_builder in ("booster", "forest", *NETWORKS)
    if not compiled or family.imported or (model.is_classifier and model.version.label_type not in _LABEL_TYPES):
        raise _not_supported(f"{model.version.model_type} models")


def _tree_features(model: Model, features: list[tuple], p: str) -> list[str]:
    """`expression AS <p>f<j>` per tree feature j, encoded as the engine encodes it for trees: a number with
    NULL as its training mean, a category as 1 + its vocabulary position (0: NULL or unseen); for a booster,
    |x| <= 1e-35 then read as 0, as LightGBM reads it."""
    columns = []
    for j, (spec, value, _) in enumerate(features):
        if spec["kind"] == "numeric":
            encoded = f"coalesce({value}, {number(spec['mean'])})"
        elif "target" in spec:
            raise _not_supported("target-encoded categories (category_encoding_method='TARGET_ENCODING')")
        else:
            cases = " ".join(f"WHEN {literal(v)} THEN {number(i + 1)}" for i, v in enumerate(spec["vocabulary"]))
            encoded = f"CASE {value} {cases} ELSE 0.0 END" if cases else "0.0"
        if model.family.onnx_builder == "booster":
            encoded = f"CASE WHEN abs({encoded}) <= {number(np.float32(1e-35))} THEN 0.0 ELSE {encoded} END"
        columns.append(f"{encoded} AS {p}f{j}")
    return columns


def _tree_sql(node: dict, thresholds: list[float], x_of: list[str]) -> str:
    """One LightGBM (sub)tree of dump_model() as nested CASE expressions: `x <= threshold` goes left; a missing
    (NULL) value goes to the default side of a NaN-type split (default_left), else is read as 0; a category
    split goes left for the codes of its set, right for others and missing."""
    if "split_index" not in node:
        return number(node["leaf_value"])
    x = x_of[node["split_feature"]]
    left, right = (_tree_sql(node[side], thresholds, x_of) for side in ("left_child", "right_child"))
    if node["decision_type"] == "==":
        codes = ", ".join(number(float(code)) for code in str(node["threshold"]).split("||"))
        return f"CASE WHEN {x} IN ({codes}) THEN {left} ELSE {right} END"
    split, missing = thresholds[node["split_index"]], node["missing_type"]
    if missing == "Zero":
        raise _not_supported("zero-as-missing splits")
    missing_left = node["default_left"] if missing == "NaN" else 0.0 <= split
    below = "TRUE" if split == math.inf else "FALSE" if split == -math.inf else f"{x} <= {number(split)}"
    return f"CASE WHEN {x} IS NULL THEN {left if missing_left else right} WHEN {below} THEN {left} ELSE {right} END"


def booster_scores(booster, x_of: list[str]) -> list[str]:
    """A LightGBM booster's raw score per class tree (num_tree_per_iteration) as SQL, the sum of its trees,
    feature j read from the column x_of[j] (NULL: missing)."""
    from sqlml.engine.families.lightgbm_onnx import exact_thresholds

    dump, thresholds = booster.dump_model(), exact_thresholds(booster)
    per_target = dump["num_tree_per_iteration"]
    trees: list[list[str]] = [[] for _ in range(per_target)]
    for tree, tree_thresholds in zip(dump["tree_info"], thresholds, strict=True):
        tree_sql = _tree_sql(tree["tree_structure"], tree_thresholds, x_of)
        # a DOUBLE: PostgreSQL reads 1.5e0 as NUMERIC (the leaf values are exact doubles, so is the cast)
        trees[tree["tree_index"] % per_target].append(f"CAST({tree_sql} AS DOUBLE)")
    return [balanced_sum(target) for target in trees]


def _level(source: str, columns: list[str], alias: str) -> str:
    """`source` (a subquery or table) with `columns` (SQL `expr AS name`) added."""
    return f"(SELECT *, {', '.join(columns)} FROM {source} AS {alias})"


def _first_extreme(values: list[str], compare: str) -> list[str]:
    """Per position j, the condition that values[j] is the first of the extreme values (`compare` '>=' for the
    largest, '<=' for the smallest), as numpy's argmax/argmin picks."""
    conditions = []
    for j, v in enumerate(values):
        later = [f"{v} {compare} {w}" for w in values[j + 1 :]]
        earlier = [f"{v} {compare[0]} {w}" for w in values[:j]]
        conditions.append(" AND ".join(earlier + later) or "TRUE")
    return conditions


def _classifier(model: Model, source: str, scores: int, p: str, probabilities: bool) -> tuple[str, list[str]]:
    """(source, output columns) of a classifier's label and probabilities from its scores <p>s<j> (the
    probabilities themselves when `probabilities`)."""
    k = len(model.version.classes)
    if probabilities:
        source = _level(source, [f"{p}s{j} AS {p}p{j}" for j in range(scores)], f"{p}l2")
    if probabilities and k == 2:
        probabilities = [f"{p}p0", f"{p}p1"]
        predicted = (
            f"CASE WHEN {p}p1 > {number(THRESHOLD)} THEN {_class_literal(model, 1)} ELSE {_class_literal(model, 0)} END"
        )
    elif scores == 1:
        source = _level(source, [f"{sigmoid(f'{p}s0')} AS {p}p1"], f"{p}l2")
        probabilities = [f"1 - {p}p1", f"{p}p1"]
        predicted = (
            f"CASE WHEN {p}p1 > {number(THRESHOLD)} THEN {_class_literal(model, 1)} ELSE {_class_literal(model, 0)} END"
        )
    else:
        if not probabilities:
            top = f"greatest({', '.join(f'{p}s{j}' for j in range(scores))})"
            source = _level(source, [f"{exp_of(f'{p}s{j} - {top}')} AS {p}e{j}" for j in range(scores)], f"{p}l2")
            total = " + ".join(f"{p}e{j}" for j in range(scores))
            source = _level(source, [f"{p}e{j} / ({total}) AS {p}p{j}" for j in range(scores)], f"{p}l3")
        probabilities = [f"{p}p{j}" for j in range(k)]
        cases = " ".join(
            f"WHEN {condition} THEN {_class_literal(model, j)}"
            for j, condition in enumerate(_first_extreme(probabilities, ">="))
        )
        predicted = f"CASE {cases} END"
    label = model.version.label
    probs = ", ".join(f"{{'label': {_class_literal(model, j)}, 'prob': {pj}}}" for j, pj in enumerate(probabilities))
    return source, [
        f"{predicted} AS {quote_identifier('predicted_' + label)}",
        f"[{probs}] AS {quote_identifier('predicted_' + label + '_probs')}",
    ]


def float32_threshold(threshold: float) -> float:
    """The double t such that x <= t exactly when float32(x) <= threshold, as scikit-learn compares (its trees
    read float32 features)."""
    below = np.float32(threshold)
    if below > threshold:
        below = np.nextafter(below, np.float32(-np.inf))
    if not np.isfinite(below):
        return float(below)
    middle = (float(below) + float(np.nextafter(below, np.float32(np.inf)))) / 2  # exact in double
    return middle if np.float32(middle) == below else float(np.nextafter(middle, -np.inf))


def _sklearn_tree(tree, values, node: int, x_of: list[str]) -> str:
    if tree.children_left[node] == -1:
        return number(values[node])
    left, right = (
        _sklearn_tree(tree, values, child[node], x_of) for child in (tree.children_left, tree.children_right)
    )
    split = float32_threshold(tree.threshold[node])
    return f"CASE WHEN {x_of[tree.feature[node]]} <= {number(split)} THEN {left} ELSE {right} END"


def _forest_scores(forest, x_of: list[str]) -> list[str]:
    """A scikit-learn forest's mean prediction per target (class probabilities, or the value) as SQL."""
    classifier = hasattr(forest, "classes_")
    per_target: list[list[str]] = [[] for _ in range(len(forest.classes_) if classifier else 1)]
    for estimator in forest.estimators_:
        tree = estimator.tree_
        values = tree.value[:, 0, :]
        values = values / values.sum(axis=1, keepdims=True) if classifier else values
        for target, trees in enumerate(per_target):
            trees.append(f"CAST({_sklearn_tree(tree, values[:, target], 0, x_of)} AS DOUBLE)")
    return [f"({balanced_sum(trees)}) / {number(len(forest.estimators_))}" for trees in per_target]


def _kmeans(model: Model, source: str, features: list[tuple], p: str) -> tuple[str, list[str]]:
    """(source, output columns) of kmeans: CENTROID_ID and NEAREST_CENTROIDS_DISTANCE (by distance, then id)."""
    encoded, distances = centroid_distances(model, features, p)
    if encoded:
        source = _level(source, encoded, f"{p}l1")
    source = _level(source, [f"{d} AS {p}d{j}" for j, d in enumerate(distances)], f"{p}l2")
    d = [f"{p}d{j}" for j in range(len(distances))]
    ranks = [  # how many centroids come before centroid j in (distance, id) order
        " + ".join(
            [f"CASE WHEN {di} < {dj} THEN 1 ELSE 0 END" for di in d[:j] + d[j + 1 :]]
            + [f"CASE WHEN {di} = {dj} THEN 1 ELSE 0 END" for di in d[:j]]
        )
        or "0"
        for j, dj in enumerate(d)
    ]
    source = _level(source, [f"{r} AS {p}r{j}" for j, r in enumerate(ranks)], f"{p}l3")
    nearest = ", ".join(
        "CASE "
        + " ".join(
            f"WHEN {p}r{j} = {position} THEN {{'CENTROID_ID': CAST({j + 1} AS BIGINT), 'DISTANCE': {dj}}}"
            for j, dj in enumerate(d)
        )
        + " END"
        for position in range(min(len(d), MAX_NEAREST))
    )
    cases = " ".join(
        f"WHEN {condition} THEN CAST({j + 1} AS BIGINT)" for j, condition in enumerate(_first_extreme(d, "<="))
    )
    return source, [
        f"CASE {cases} END AS {quote_identifier('CENTROID_ID')}",
        f"[{nearest}] AS {quote_identifier('NEAREST_CENTROIDS_DISTANCE')}",
    ]


def _scores(model: Model, source: str, features: list[tuple], p: str) -> tuple[str, list[str]]:
    """(source, scores) of a family other than kmeans: the levels its scores read, and the scores as SQL."""
    builder, estimator = model.family.onnx_builder, model.estimator
    if builder in NETWORKS:
        levels, scores = network_scores(model, features, p)
        for i, columns in enumerate(levels):
            source = _level(source, columns, f"{p}n{i}")
        return source, scores
    if builder in ("booster", "forest"):
        source = _level(source, _tree_features(model, features, p), f"{p}l0")
        x_of = [f"{p}f{j}" for j in range(len(features))]
        scores = (
            booster_scores(estimator.booster, x_of) if builder == "booster" else _forest_scores(estimator.forest, x_of)
        )
        return source, scores
    return source, linear_scores(model, features, estimator.coef, estimator.intercept)


def _components(model: Model, count: int) -> list[str]:
    """ML.PREDICT's columns of a pca model's `count` components or an autoencoder's middle layer."""
    name = "latent_col" if model.family.autoencodes else "principal_component"
    return [f"{name}_{j + 1}" for j in range(count)]


def prediction_sql(ctx: MLContext, model: Model, table: str) -> str:
    """ML.PREDICT of `model` over `table` (DuckDB SQL naming a table or view) as one DuckDB query."""
    _check_exportable(model)
    version = model.version
    raw = ctx.relation(version.training_sql).limit(0).columns
    raw = [name for name in raw if name != version.label]
    read = model.input_sql(f"SELECT * FROM {table}", raw)
    relation = ctx.relation(model.input_sql(f"SELECT * FROM ({version.training_sql})", raw)).limit(0)
    mapping = model.resolve(relation.columns)
    features, _ = input_features(model, relation, mapping)
    if features is None:
        raise NotSupportedError(
            f"EXPORT MODEL: format='sql' cannot encode the input types of {version.qualified_name}'s features "
            "(plain numeric, string, bool and date columns only); export it with format='onnx'"
        )
    left_out = {name.lower() for name in model.internal_columns()} | {(version.label or "").lower()}
    if model.family.reduces_dimensions:
        left_out |= {name.lower() for name in mapping.values()}
    p = internal_prefix(relation.columns)
    kept = [quote_identifier(name) for name in relation.columns if name.lower() not in left_out]
    source = f"({read})"
    if model.family.clustering:
        source, outputs = _kmeans(model, source, features, p)
    else:
        source, scores = _scores(model, source, features, p)
        source = _level(source, [f"{s} AS {p}s{j}" for j, s in enumerate(scores)], f"{p}l1")
        if model.family.reduces_dimensions or model.family.autoencodes:
            outputs = [f"{p}s{j} AS {quote_identifier(name)}" for j, name in enumerate(_components(model, len(scores)))]
        elif model.is_classifier:
            source, outputs = _classifier(model, source, len(scores), p, model.family.onnx_builder == "forest")
        else:
            outputs = [f"{p}s0 AS {quote_identifier('predicted_' + version.label)}"]
    return f"SELECT {', '.join(outputs + kept)} FROM {source} AS {p}out"


def _compare(model: Model, exported: pa.Table, native: np.ndarray) -> dict:
    """Agreement figures of the query's result with the engine's scores `native` for the same rows."""
    column = exported.column
    if model.family.clustering:
        nearest = column("NEAREST_CENTROIDS_DISTANCE").to_pylist()
        values = np.array([[e["DISTANCE"] for e in row] for row in nearest], float)
        native_values = np.sort(native, axis=1, kind="stable")[:, : values.shape[1]]
        labels, native_labels = column("CENTROID_ID").to_numpy() - 1, native.argmin(axis=1)
    elif model.family.reduces_dimensions or model.family.autoencodes:
        values = np.column_stack([column(name).to_numpy() for name in _components(model, native.shape[1])])
        native_values, labels, native_labels = native, 0, 0
    elif model.is_classifier:
        label, classes = model.version.label, model.classes.to_pylist()
        values = np.array([[e["prob"] for e in row] for row in column(f"predicted_{label}_probs").to_pylist()])
        native_values, native_labels = native, predicted_labels(native, THRESHOLD)
        labels = np.array([classes.index(value) for value in column(f"predicted_{label}").to_pylist()])
    else:
        values, native_values = column(f"predicted_{model.version.label}").to_numpy(), native
        labels = native_labels = 0
    relative = np.abs(values - native_values) / np.maximum(1.0, np.abs(native_values))
    return {"label_agreement": float(np.mean(labels == native_labels)), "max_relative_diff": float(relative.max())}


def verify_sql(ctx: MLContext, model: Model) -> dict:
    """Run the DuckDB rendering over the verification rows; the figures, DataError if they miss the limits."""
    _check_exportable(model)  # before the model scores anything
    rows = verification_rows(ctx, model)
    native = np.asarray(shown_scores(ctx, model, native_features(ctx, model, rows)), float)
    with registered(ctx.cur, rows) as name:
        exported = ctx.cur.sql(prediction_sql(ctx, model, quote_identifier(name))).to_arrow_table()
    figures = {"rows": rows.num_rows} | _compare(model, exported, native)
    if figures["label_agreement"] < MIN_AGREEMENT or not figures["max_relative_diff"] <= MAX_RELATIVE_DIFF:
        raise DataError(
            f"EXPORT MODEL: the SQL query does not reproduce the model (label agreement "
            f"{figures['label_agreement']:.4%}, max relative difference {figures['max_relative_diff']:.3g} on "
            f"{figures['rows']} rows; limits {MIN_AGREEMENT:.1%} and {MAX_RELATIVE_DIFF:g}); nothing was written"
        )
    return figures


def _as_json(node: exp.Expression) -> exp.Expression:
    """A struct literal as jsonb_build_object('field', value, ...), for PostgreSQL, which has no named ones."""
    if not isinstance(node, exp.Struct):
        return node
    pairs = [part for field in node.expressions for part in (exp.Literal.string(field.this.name), field.expression)]
    return exp.Anonymous(this="jsonb_build_object", expressions=pairs)


def _planned_apart(tree: exp.Expression) -> None:
    """OFFSET 0 on every subquery: PostgreSQL then plans each level by itself instead of substituting its
    expressions for every reference to them (which grows exponentially with a network's layers)."""
    for subquery in tree.find_all(exp.Subquery):
        if isinstance(subquery.this, exp.Select) and not subquery.this.args.get("offset"):
            subquery.this.offset(0, copy=False)


def rendered(ctx: MLContext, model: Model, table: str, dialect: str) -> str:
    """The query in `dialect` (PostgreSQL's structs as jsonb objects, its levels planned apart), checked by
    parsing it back (DataError if sqlglot cannot)."""
    tree = sqlglot.parse_one(prediction_sql(ctx, model, table), read="duckdb")
    if dialect == "postgres":
        tree = tree.transform(_as_json)
        _planned_apart(tree)
    query = tree.sql(dialect, pretty=True)
    try:
        sqlglot.parse_one(query, read=dialect)
    except sqlglot.errors.ParseError as exc:
        raise DataError(
            f"EXPORT MODEL: the {dialect} rendering does not parse back ({exc}); nothing was written"
        ) from None
    return query + ";\n"

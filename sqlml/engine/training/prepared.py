"""The training query's rows sorted out for CREATE MODEL: the label (and its checks), the classes, the rows that
train / evaluate / test (engine/data/rows.py's split), class and instance weights; kmeans and pca take every
column as a feature and every row for training."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sqlml.engine.data.features import ColumnIndex, column_kind, find_column, numeric_values
from sqlml.engine.data.rows import split_rows
from sqlml.engine.families import Family
from sqlml.engine.sqltext.sql_types import sql_type
from sqlml.errors import DataError, ProgrammingError, did_you_mean


def _label_column(table: pa.Table, options: dict) -> str:
    columns = ColumnIndex(table.column_names)
    columns.check_unique()
    wanted = options["input_label_cols"][0]
    found = columns.find(wanted)
    if found is None:
        raise ProgrammingError(
            f"label column '{wanted}' is not in the training query's columns "
            f"({', '.join(table.column_names)}).{did_you_mean(wanted, table.column_names)} "
            "Set OPTIONS(input_label_cols=['...'])"
        )
    return found


def _check_label_type(label: str, dtype: pa.DataType, family: Family, model_type: str) -> None:
    if not family.classifier:
        if not (pa.types.is_integer(dtype) or pa.types.is_floating(dtype) or pa.types.is_decimal(dtype)):
            raise ProgrammingError(
                f"label column '{label}' has type {sql_type(dtype)}; {model_type} needs a numeric "
                "label (use a classifier for categories)"
            )
    elif not (
        pa.types.is_integer(dtype)
        or pa.types.is_string(dtype)
        or pa.types.is_large_string(dtype)
        or pa.types.is_boolean(dtype)
    ):
        raise ProgrammingError(
            f"label column '{label}' has type {sql_type(dtype)}; {model_type} needs a VARCHAR, "
            "integer or BOOL label (CAST it)"
        )


def class_weights(y: np.ndarray, classes: list, options: dict) -> np.ndarray | None:
    """Per-row weights from auto_class_weights (n / (k * n_class), as BigQuery ML) or class_weights."""
    weights = class_weight_table(np.bincount(y, minlength=len(classes)), classes, options)
    return None if weights is None else weights[y]


def class_weight_table(counts: np.ndarray, classes: list, options: dict) -> np.ndarray | None:
    """Each class's weight (see class_weights) from the training rows' class `counts`; None: unweighted."""
    if options.get("auto_class_weights"):
        return counts.sum() / (len(classes) * counts)
    if options.get("class_weights"):
        key = lambda label: str(label).lower() if isinstance(label, bool) else str(label)  # as SQL casts it
        given = {key(label): weight for label, weight in options["class_weights"]}
        missing = [c for c in classes if key(c) not in given]
        if missing:
            raise ProgrammingError(f"OPTIONS: class_weights has no weight for class(es) {missing}")
        return np.array([given[key(c)] for c in classes])
    return None


@dataclass
class Prepared:
    """The training query's rows sorted out: label, features, classes, split (and initial centroids)."""

    table: pa.Table
    label: str | None
    features: list[str]
    classes: pa.Array | None
    y: np.ndarray | None
    train_idx: np.ndarray
    eval_idx: np.ndarray
    dropped: int = 0
    init_idx: np.ndarray | None = None  # kmeans_init_method=CUSTOM: rows marked as initial centroids
    test_idx: np.ndarray = field(default_factory=lambda: np.arange(0))  # ML.EVALUATE's rows when there are some
    row_weights: np.ndarray | None = None  # instance_weight_col: each row's weight


def _prepare_unsupervised(table: pa.Table, options: dict) -> Prepared:
    """kmeans and pca: every column is a feature (but kmeans_init_col), every row trains."""
    ColumnIndex(table.column_names).check_unique()
    init_col, init_idx = options.get("kmeans_init_col"), None
    if init_col is not None:
        found = find_column(table.column_names, init_col)
        if found is None:
            raise ProgrammingError(
                f"kmeans_init_col '{init_col}' is not in the training query's columns ({', '.join(table.column_names)})"
            )
        if not pa.types.is_boolean(table.column(found).type):
            raise ProgrammingError(
                f"kmeans_init_col '{init_col}' must be BOOL (TRUE marks an initial "
                f"centroid), not {sql_type(table.column(found).type)}"
            )
        init_idx = np.nonzero(pc.fill_null(table.column(found), False).to_numpy(zero_copy_only=False))[0]
        init_col = found
    if table.num_rows == 0:
        raise DataError("the training query returned no rows")
    features = [c for c in table.column_names if c != init_col]
    if not features:
        raise ProgrammingError("the training query has no feature columns")
    return Prepared(table, None, features, None, None, np.arange(table.num_rows), np.arange(0), init_idx=init_idx)


def label_column(table: pa.Table, options: dict, family: Family) -> str:
    """The label column of the rows' `table` (its schema is enough), checked for its type; the columns the options
    name that are never features (data_split_col, ...) resolved in `options`."""
    label = _label_column(table, options)
    _check_label_type(label, table.column(label).type, family, options["model_type"])
    for option in ("data_split_col", "sensitive_feature", "instance_weight_col"):  # columns that are never features
        if options.get(option) is not None:
            found = find_column(table.column_names, options[option])
            if found is None:
                raise ProgrammingError(
                    f"{option} '{options[option]}' is not in the training query's columns "
                    f"({', '.join(table.column_names)})"
                )
            options[option] = found
    return label


def check_labelled(total: int, labelled: int, label: str) -> None:
    """DataError unless some of the `total` rows have a label (`labelled` of them)."""
    if total == 0:
        raise DataError("the training query returned no rows")
    if labelled == 0:
        raise DataError(f"label column '{label}' is NULL in all {total} rows")


def feature_columns(columns: list[str], label: str, options: dict) -> list[str]:
    """The feature columns: every column but the label and those options name."""
    others = (label, options["data_split_col"], options.get("sensitive_feature"), options.get("instance_weight_col"))
    features = [c for c in columns if c not in others]
    if not features:
        raise ProgrammingError("the training query has no feature columns besides the label")
    return features


def check_classes(classes: pa.Array, label: str, family: Family, model_type: str) -> None:
    """A classifier's sorted distinct labels: at least two, at most the family's maximum."""
    if len(classes) < 2:
        raise DataError(
            f"label column '{label}' has a single class ({classes[0].as_py()!r}); a classifier needs at least two"
        )
    if len(classes) > family.max_classes:
        raise DataError(
            f"label column '{label}' has {len(classes)} classes; {model_type} supports at most {family.max_classes}"
        )


def check_finite_label(label: str, finite: bool) -> None:
    if not finite:
        raise DataError(f"label column '{label}' has NaN or infinite values")


def check_training_rows(n_train: int) -> None:
    if n_train == 0:
        raise DataError("the data split left no training rows")


def check_training_classes(classes: pa.Array, trained: list[int], label: str) -> None:
    """Every class (index into `classes`) among the training rows' class indices `trained`."""
    absent = sorted(set(range(len(classes))) - set(trained))
    if absent:
        names = [classes[i].as_py() for i in absent]
        raise DataError(
            f"class(es) {names} of label column '{label}' occur only in the evaluation rows "
            f"of the data split; every class needs training rows (change data_split_method, "
            f"data_split_eval_fraction or seed)"
        )


def prepare(table: pa.Table, options: dict, family: Family) -> Prepared:
    """Label checks, NULL-label drop, class encoding and the split; returns what training needs."""
    if not family.supervised:
        return _prepare_unsupervised(table, options)
    label = label_column(table, options, family)
    total = table.num_rows
    if table.num_rows and table.column(label).null_count:
        table = table.filter(pc.is_valid(table.column(label)))
    check_labelled(total, table.num_rows, label)
    dropped = total - table.num_rows
    features = feature_columns(table.column_names, label, options)
    classes = None
    y_all = table.column(label)
    if family.classifier:
        classes = pc.unique(y_all).sort()
        check_classes(classes, label, family, options["model_type"])
        y = pc.index_in(y_all, value_set=classes).to_numpy(zero_copy_only=False).astype(np.int64)
    else:
        y = pc.cast(y_all, pa.float64()).to_numpy(zero_copy_only=False)
        check_finite_label(label, np.isfinite(y).all())
    train_idx, eval_idx, test_idx = split_rows(table, options)
    check_training_rows(len(train_idx))
    if classes is not None:
        check_training_classes(classes, np.unique(y[train_idx]).tolist(), label)
    row_weights = _instance_weights(table, options.get("instance_weight_col"))
    return Prepared(
        table, label, features, classes, y, train_idx, eval_idx, dropped, test_idx=test_idx, row_weights=row_weights
    )


def _instance_weights(table: pa.Table, column: str | None) -> np.ndarray | None:
    """instance_weight_col's values: numbers, none NULL or negative, not all 0."""
    if column is None:
        return None
    check_weight_type(column, table.column(column).type)
    weights = numeric_values(column, table.column(column))
    check_weight_values(column, not (np.isnan(weights).any() or (weights < 0).any() or not weights.any()))
    return weights


def check_weight_type(column: str, dtype: pa.DataType) -> None:
    if column_kind(column, dtype) != "numeric":
        raise ProgrammingError(f"instance_weight_col '{column}' must be a numeric column, not {sql_type(dtype)}")


def check_weight_values(column: str, valid: bool) -> None:
    """`valid`: every row's weight is a number >= 0 and some is not 0."""
    if not valid:
        raise DataError(f"instance_weight_col '{column}' must hold a weight >= 0 on every row (no NULL), not all 0")

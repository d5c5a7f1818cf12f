"""CREATE MODEL OPTIONS: which options each model_type takes, their types and defaults, and validation.

Names, defaults and ranges follow BigQuery ML's CREATE MODEL documentation: the page of each model type
(https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-create-boosted-tree, ...), the
ranges of the hyperparameter tuning overview (https://cloud.google.com/bigquery/docs/hp-tuning-overview) and
NUM_TRIALS' (https://cloud.google.com/bigquery-ml/docs/reference/standard-sql/bigqueryml-hyperparameter-tuning).
Where BigQuery ML sets no upper bound, sqlml sets one, so that no single option makes training run for hours
or exhaust memory. Option names are case-insensitive; enum values are upper-cased. `validate_options` returns
a complete, typed dict (defaults filled in) or raises ProgrammingError naming the option at fault and listing
the valid ones for that model_type.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from sqlml.errors import ProgrammingError, did_you_mean
from sqlml.parser.nodes import python_value


@dataclass(frozen=True)
class Option:
    """One option: its value type ('int', 'float', 'bool', 'str', 'enum', 'str_list', 'int_list', 'weights'),
    allowed enum values or numeric bounds (inclusive unless `open_low` / `open_high`)."""

    kind: str
    choices: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    open_low: bool = False
    open_high: bool = False


SPLIT_METHODS = ("AUTO_SPLIT", "RANDOM", "CUSTOM", "SEQ", "NO_SPLIT")

OPTIONS: dict[str, Option] = {
    "model_type": Option("str"),
    "input_label_cols": Option("str_list"),
    "data_split_method": Option("enum", SPLIT_METHODS),
    "data_split_eval_fraction": Option("float", low=0.0, high=1.0, open_low=True),
    "data_split_col": Option("str"),
    "seed": Option("int", low=0, high=2**31 - 1),
    "l1_reg": Option("float", low=0.0),
    "l2_reg": Option("float", low=0.0),
    "max_iterations": Option("int", low=1, high=1_000_000),
    "learn_rate": Option("float", low=0.0, open_low=True),
    "early_stop": Option("bool"),
    "min_rel_progress": Option("float", low=0.0),
    "auto_class_weights": Option("bool"),
    "class_weights": Option("weights"),
    "fit_intercept": Option("bool"),
    "max_tree_depth": Option("int", low=1, high=20),  # BigQuery ML's range (hyperparameter tuning overview)
    "num_parallel_tree": Option("int", low=1, high=1000),  # sqlml's bound: BigQuery ML documents none
    "subsample": Option("float", low=0.0, high=1.0, open_low=True),
    "colsample_bytree": Option("float", low=0.0, high=1.0, open_low=True),
    "colsample_bynode": Option("float", low=0.0, high=1.0, open_low=True),
    "min_tree_child_weight": Option("int", low=0, high=2**31 - 1),
    "min_split_loss": Option("float", low=0.0),
    "model_path": Option("str"),
    "num_clusters": Option("int", low=2, high=100),
    "kmeans_init_method": Option("enum", ("RANDOM", "KMEANS++", "CUSTOM")),
    "kmeans_init_col": Option("str"),
    "distance_type": Option("enum", ("EUCLIDEAN", "COSINE")),
    "standardize_features": Option("bool"),
    "num_principal_components": Option("int", low=1, high=10_000),
    "pca_explained_variance_ratio": Option("float", low=0.0, high=1.0, open_low=True),
    "scale_features": Option("bool"),
    "pca_solver": Option("enum", ("FULL", "RANDOMIZED", "AUTO")),
    "hidden_units": Option("int_list", low=1, high=100_000),
    "activation_fn": Option("enum", ("RELU", "SIGMOID", "TANH")),
    "batch_size": Option("int", low=1, high=2**31 - 1),
    "dropout": Option("float", low=0.0, high=1.0, open_high=True),
    "optimizer": Option("enum", ("ADAM", "SGD")),
    "warm_start": Option("bool"),
    "fairness_constraint": Option("enum", ("DEMOGRAPHIC_PARITY", "EQUALIZED_ODDS")),
    "sensitive_feature": Option("str"),
    "fairness_grid_size": Option("int", low=2, high=1000),
    "budget_hours": Option("float", low=0.0, high=72.0, open_low=True),
    "optimization_objective": Option("enum", ("MAXIMIZE_AU_ROC", "MINIMIZE_LOG_LOSS", "MAXIMIZE_ACCURACY",
                                              "MAXIMIZE_F1_SCORE", "MINIMIZE_RMSE", "MINIMIZE_MAE",
                                              "MAXIMIZE_R2_SCORE")),
    "num_trials": Option("int", low=1, high=100),  # BigQuery ML: "Allowed values are 1 to 100"
    "max_parallel_trials": Option("int", low=1, high=64),
    "hparam_tuning_algorithm": Option("enum", ("VIZIER_DEFAULT", "RANDOM_SEARCH", "GRID_SEARCH")),
    "hparam_tuning_objectives": Option("enum_list", (
        "precision", "recall", "accuracy", "f1_score", "log_loss", "roc_auc", "mean_absolute_error",
        "mean_squared_error", "mean_squared_log_error", "median_absolute_error", "r2_score", "explained_variance",
        "davies_bouldin_index", "mean_squared_distance")),
}

# options whose value HPARAM_RANGE / HPARAM_CANDIDATES may give: what a trial may change without changing
# the data, the features or the search itself
NOT_TUNABLE = {"model_type", "input_label_cols", "data_split_method", "data_split_eval_fraction", "data_split_col",
               "seed", "class_weights", "kmeans_init_col", "standardize_features", "scale_features", "num_trials",
               "max_parallel_trials", "hparam_tuning_algorithm", "hparam_tuning_objectives", "warm_start",
               "fairness_constraint", "sensitive_feature", "fairness_grid_size"}

# data_split_eval_fraction None: RANDOM then splits like AUTO_SPLIT, SEQ takes 0.2 (as BigQuery ML does).
_SPLIT_DEFAULTS = {"input_label_cols": ["label"], "data_split_method": "AUTO_SPLIT",
                   "data_split_eval_fraction": None, "data_split_col": None, "seed": 0}
_LINEAR = {**_SPLIT_DEFAULTS, "l1_reg": 0.0, "l2_reg": 0.0, "max_iterations": 20, "fit_intercept": True}
# classifiers: row weights, and the fairness constraint they may train under (see engine/functions/fairness.py)
_CLASS_WEIGHTS = {"auto_class_weights": False, "class_weights": None, "fairness_constraint": None,
                  "sensitive_feature": None, "fairness_grid_size": None}  # None: 10, fairlearn's default
_BOOSTED = {**_SPLIT_DEFAULTS, "l1_reg": 0.0, "l2_reg": 1.0, "max_iterations": 20, "learn_rate": 0.3,
            "early_stop": True, "min_rel_progress": 0.01, "max_tree_depth": 6, "num_parallel_tree": 1,
            "subsample": 1.0, "colsample_bytree": 1.0, "colsample_bynode": 1.0, "min_tree_child_weight": 1,
            "min_split_loss": 0.0}
_FOREST = {**_SPLIT_DEFAULTS, "num_parallel_tree": 100, "max_tree_depth": 15, "subsample": 0.8,
           "colsample_bynode": 0.8, "min_tree_child_weight": 1, "min_split_loss": 0.0}

_DNN = {**_SPLIT_DEFAULTS, "hidden_units": None, "activation_fn": "RELU", "batch_size": None, "dropout": 0.0,
        "optimizer": "ADAM", "learn_rate": 0.001, "l2_reg": 0.0, "max_iterations": 20, "early_stop": True,
        "min_rel_progress": 0.01}
_KMEANS = {"num_clusters": None, "kmeans_init_method": "RANDOM", "kmeans_init_col": None,
           "distance_type": "EUCLIDEAN", "standardize_features": True, "max_iterations": 20, "early_stop": True,
           "min_rel_progress": 0.01, "seed": 0}
_PCA = {"num_principal_components": None, "pca_explained_variance_ratio": None, "scale_features": True,
        "pca_solver": "AUTO", "seed": 0}

_TUNING = {"num_trials": 1, "max_parallel_trials": 1, "hparam_tuning_algorithm": "VIZIER_DEFAULT",
           "hparam_tuning_objectives": None}
_LINEAR, _BOOSTED, _DNN, _KMEANS = ({**d, **_TUNING, "warm_start": False} for d in (_LINEAR, _BOOSTED, _DNN, _KMEANS))
_FOREST = {**_FOREST, **_TUNING}

_AUTOML = {**_SPLIT_DEFAULTS, "budget_hours": 1.0, "optimization_objective": None}

# model_type -> {option: default}; the options a model_type accepts are exactly its keys (plus model_type).
MODEL_TYPE_DEFAULTS: dict[str, dict[str, Any]] = {
    "linear_reg": _LINEAR,
    "logistic_reg": {**_LINEAR, **_CLASS_WEIGHTS},
    "boosted_tree_regressor": _BOOSTED,
    "boosted_tree_classifier": {**_BOOSTED, **_CLASS_WEIGHTS},
    "random_forest_regressor": _FOREST,
    "random_forest_classifier": {**_FOREST, **_CLASS_WEIGHTS},
    "dnn_regressor": _DNN,
    "dnn_classifier": {**_DNN, **_CLASS_WEIGHTS},
    "automl_regressor": _AUTOML,
    "automl_classifier": _AUTOML,
    "kmeans": _KMEANS,
    "pca": _PCA,
    "onnx": {"model_path": None},  # an imported model: CREATE MODEL m OPTIONS(model_type='onnx', model_path=...)
}


def _fail(name: str, expected: str, value: Any) -> ProgrammingError:
    shown = value.sql() if isinstance(value, exp.Expression) else repr(value)  # SQL as written, not a node's repr
    return ProgrammingError(f"OPTIONS: {name} must be {expected}, got {shown}")


def _coerce(name: str, spec: Option, value: Any) -> Any:
    """Check one value against its spec and return it in canonical form."""
    if spec.kind == "bool":
        if not isinstance(value, bool):
            raise _fail(name, "TRUE or FALSE", value)
        return value
    if spec.kind in ("int", "float"):
        numeric = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        if not numeric or (spec.kind == "int" and not float(value).is_integer()):
            raise _fail(name, "an integer" if spec.kind == "int" else "a number", value)
        value = int(value) if spec.kind == "int" else float(value)
        too_low = spec.low is not None and (value <= spec.low if spec.open_low else value < spec.low)
        too_high = spec.high is not None and (value >= spec.high if spec.open_high else value > spec.high)
        if too_low or too_high:
            low = "" if spec.low is None else f"{'>' if spec.open_low else '>='} {spec.low:g}"
            high = "" if spec.high is None else f"{'<' if spec.open_high else '<='} {spec.high:g}"
            raise _fail(name, "a number " + " and ".join(filter(None, (low, high))), value)
        return value
    if spec.kind in ("str", "enum"):
        if not isinstance(value, str):
            raise _fail(name, "a string", value)
        if spec.kind == "enum":
            if value.upper() not in spec.choices:
                raise _fail(name, "one of " + ", ".join(spec.choices), value)
            return value.upper()
        return value
    if spec.kind == "int_list":
        if not (isinstance(value, list) and value):
            raise _fail(name, "a non-empty array of integers, e.g. [64, 32]", value)
        return [_coerce(f"{name}[{i}]", Option("int", low=spec.low, high=spec.high), v) for i, v in enumerate(value)]
    if spec.kind == "enum_list":
        if not (isinstance(value, list) and len(value) == 1 and isinstance(value[0], str)
                and value[0].lower() in spec.choices):
            raise _fail(name, "an array of one of " + ", ".join(spec.choices), value)
        return [value[0].lower()]
    if spec.kind == "str_list":
        if not (isinstance(value, list) and len(value) == 1 and isinstance(value[0], str)):
            raise _fail(name, "an array of one column name, e.g. ['label']", value)
        return value
    # weights: [STRUCT('label', weight), ...] arrives as a list of (label, weight) pairs
    if not (isinstance(value, list) and value and all(
            isinstance(pair, (list, tuple)) and len(pair) == 2 and isinstance(pair[1], (int, float))
            and not isinstance(pair[1], bool) and math.isfinite(pair[1]) and pair[1] >= 0 for pair in value)
            and any(pair[1] > 0 for pair in value)):
        raise _fail(name, "an array of STRUCT(label, weight) with finite weights >= 0, not all 0", value)
    return [[label, float(weight)] for label, weight in value]


def search_spaces(options: dict[str, Any]) -> dict[str, dict]:
    """The options given as HPARAM_RANGE / HPARAM_CANDIDATES: {"hparam_range": [low, high]} or
    {"hparam_candidates": [...]}."""
    return {k: v for k, v in options.items() if isinstance(v, dict) and set(v) & {"hparam_range", "hparam_candidates"}}


def _search_space(name: str, spec: Option, node: exp.Anonymous) -> dict:
    function, args = node.name.upper(), [python_value(a) for a in node.expressions]
    if name in NOT_TUNABLE or spec.kind in ("str", "str_list", "weights"):
        raise ProgrammingError(f"OPTIONS: {name} cannot be tuned with {function}")
    if function == "HPARAM_RANGE":
        if spec.kind not in ("int", "float"):
            raise ProgrammingError(f"OPTIONS: HPARAM_RANGE applies to numeric options; {name} takes "
                                   f"{'TRUE or FALSE' if spec.kind == 'bool' else 'one of ' + ', '.join(spec.choices) if spec.choices else 'a list'}: use HPARAM_CANDIDATES")
        if len(args) != 2:
            raise ProgrammingError(f"OPTIONS: {name} = HPARAM_RANGE(min, max) takes two numbers")
        low, high = (_coerce(name, spec, v) for v in args)
        if low > high:
            raise ProgrammingError(f"OPTIONS: {name} = HPARAM_RANGE({low}, {high}): min is above max")
        return {"hparam_range": [low, high]}
    if len(args) != 1 or not isinstance(args[0], list) or not args[0]:
        raise ProgrammingError(f"OPTIONS: {name} = HPARAM_CANDIDATES([...]) takes a non-empty array")
    return {"hparam_candidates": [_coerce(name, spec, v) for v in args[0]]}


def validate_options(raw: dict[str, Any]) -> dict[str, Any]:
    """Validate CREATE MODEL options (keys already lower-cased) and fill in the model_type's defaults."""
    if "model_type" not in raw:
        raise ProgrammingError("OPTIONS: model_type is required; valid model types: "
                               + ", ".join(MODEL_TYPE_DEFAULTS))
    model_type = raw["model_type"]
    if not isinstance(model_type, str) or model_type.lower() not in MODEL_TYPE_DEFAULTS:
        hint = did_you_mean(model_type, MODEL_TYPE_DEFAULTS) if isinstance(model_type, str) else ""
        raise ProgrammingError(f"OPTIONS: unknown model_type {model_type!r}.{hint} Valid model types: "
                               + ", ".join(MODEL_TYPE_DEFAULTS))
    model_type = model_type.lower()
    defaults = MODEL_TYPE_DEFAULTS[model_type]
    options = {"model_type": model_type, **defaults}
    for name, value in raw.items():
        if name == "model_type":
            continue
        if name not in defaults:
            raise ProgrammingError(f"OPTIONS: unknown option {name!r} for model_type {model_type}."
                                   f"{did_you_mean(name, defaults)} Valid options: model_type, "
                                   f"{', '.join(sorted(defaults))}")
        if value is None and defaults[name] is not None:
            raise ProgrammingError(f"OPTIONS: {name} cannot be NULL (its default is {defaults[name]!r})")
        if isinstance(value, exp.Anonymous) and value.name.upper() in ("HPARAM_RANGE", "HPARAM_CANDIDATES"):
            options[name] = _search_space(name, OPTIONS[name], value)
        else:
            options[name] = None if value is None else _coerce(name, OPTIONS[name], value)
    check_combinations(options)
    return options


def check_combinations(options: dict[str, Any]) -> None:
    """Rules that involve more than one option (search spaces are checked per trial)."""
    model_type = options["model_type"]
    tuned = search_spaces(options)
    if tuned and options.get("num_trials", 1) == 1:
        raise ProgrammingError(f"OPTIONS: a search space (HPARAM_RANGE / HPARAM_CANDIDATES) on {', '.join(tuned)} "
                               "needs num_trials > 1")
    # a search space is checked here through its first value, and each trial with its own
    options = {**options, **{k: v.get("hparam_candidates", v.get("hparam_range"))[0] for k, v in tuned.items()}}
    if model_type == "onnx":
        if not options["model_path"]:
            raise ProgrammingError("OPTIONS: model_type='onnx' needs model_path='file.onnx', the model to import")
        return
    if model_type == "kmeans":
        if (options["kmeans_init_method"] == "CUSTOM") != (options["kmeans_init_col"] is not None):
            raise ProgrammingError("OPTIONS: kmeans_init_method='CUSTOM' and kmeans_init_col go together: the "
                                   "column marks (TRUE) the rows that are the initial centroids")
        return
    if model_type == "pca":
        if (options["num_principal_components"] is None) == (options["pca_explained_variance_ratio"] is None):
            raise ProgrammingError("OPTIONS: set exactly one of num_principal_components and "
                                   "pca_explained_variance_ratio")
        if options["pca_explained_variance_ratio"] is not None and options["pca_solver"] == "RANDOMIZED":
            raise ProgrammingError("OPTIONS: pca_explained_variance_ratio needs pca_solver FULL or AUTO; "
                                   "RANDOMIZED takes num_principal_components")
        return
    method = options["data_split_method"]
    if method in ("CUSTOM", "SEQ") and not options["data_split_col"]:
        raise ProgrammingError(f"OPTIONS: data_split_method={method} requires data_split_col")
    if method not in ("CUSTOM", "SEQ") and options["data_split_col"]:
        raise ProgrammingError(f"OPTIONS: data_split_col applies to data_split_method CUSTOM or SEQ, not {method}")
    if method not in ("RANDOM", "SEQ") and options["data_split_eval_fraction"] is not None:
        raise ProgrammingError("OPTIONS: data_split_eval_fraction applies to data_split_method RANDOM or SEQ, "
                               f"not {method}")
    if model_type.startswith("random_forest") and options["num_parallel_tree"] < 2:
        raise ProgrammingError("OPTIONS: num_parallel_tree must be >= 2 for a random forest")
    if model_type.startswith("boosted_tree") and options["num_parallel_tree"] != 1:
        raise ProgrammingError("OPTIONS: num_parallel_tree > 1 (boosted random forests) is not supported: "
                               "sqlml's boosted trees grow one LightGBM tree per iteration")
    if options.get("class_weights") and options.get("auto_class_weights"):
        raise ProgrammingError("OPTIONS: class_weights and auto_class_weights=TRUE cannot be used together")
    if (options.get("fairness_constraint") is None) != (options.get("sensitive_feature") is None):
        raise ProgrammingError("OPTIONS: fairness_constraint and sensitive_feature go together: the constraint "
                               "holds across the groups of the sensitive_feature column")
    if options.get("fairness_grid_size") is not None and options.get("fairness_constraint") is None:
        raise ProgrammingError("OPTIONS: fairness_grid_size applies to training under a fairness_constraint; set "
                               "fairness_constraint and sensitive_feature, or leave fairness_grid_size out")
    sensitive = options.get("sensitive_feature")
    if sensitive and sensitive.lower() == options["input_label_cols"][0].lower():
        raise ProgrammingError(f"OPTIONS: sensitive_feature '{sensitive}' is the label; the "
                               "fairness constraint holds across the groups of another column")
    if options.get("fairness_constraint") and (options["num_trials"] > 1 or options.get("warm_start")):
        raise ProgrammingError("OPTIONS: fairness_constraint trains its own grid of models; it cannot be combined "
                               "with num_trials > 1 or warm_start")


def validate_alter_options(raw: dict[str, Any]) -> dict[str, Any]:
    """ALTER MODEL ... SET OPTIONS: description (a string, or NULL to clear it) and labels, BigQuery ML's
    [('key', 'value'), ...] (NULL clears them), kept as {key: value}."""
    for name in raw:
        if name not in ("description", "labels"):
            raise ProgrammingError(f"OPTIONS: ALTER MODEL sets description and labels, not {name!r}")
    options = {}
    if "description" in raw:
        value = raw["description"]
        if value is not None and not isinstance(value, str):
            raise _fail("description", "a string", value)
        options["description"] = value
    if "labels" in raw:
        value = raw["labels"]
        pairs = isinstance(value, list) and all(isinstance(p, (list, tuple)) and len(p) == 2 and
                                                all(isinstance(x, str) for x in p) for p in value)
        if value is not None and not pairs:
            raise _fail("labels", "an array of ('key', 'value') pairs", value)
        options["labels"] = None if value is None else dict(value)
    return options

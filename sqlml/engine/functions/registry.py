"""The one table of ML functions: each name's signature and its handler.

A signature says which model tasks the function takes (none: a function of data alone), whether its input
(TABLE t | (query)) is required, optional or refused, whether it takes a list of values, and its STRUCT
parameters with their types, defaults and bounds. `run` checks a call against it, in this one place and with
the same wording for every function, loads the call's model and checks its task, then calls the handler as
handler(ctx, call, model, params): `model` None for a function of data, `params` the STRUCT parameters
checked, with their defaults. A handler returns an Arrow relation (a RecordBatchReader or Table DuckDB
scans) or the SQL text of a query DuckDB runs in the call's place.

Handlers are named "module:function" and imported on their first call: reading this table (to plan,
complete or document statements) loads no ML library.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlml.errors import NotSupportedError, ProgrammingError, did_you_mean

if TYPE_CHECKING:
    from sqlml.engine.context import MLContext
    from sqlml.engine.store.model import Model
    from sqlml.parser import MLFunction

# each model task, as messages name its models
TASK_NAMES = {
    "regression": "regression",
    "classification": "classification",
    "clustering": "kmeans",
    "dimensionality_reduction": "pca",
    "autoencoder": "autoencoder",
    "imported": "imported ONNX",
    "transform": "transform_only",
    "forecasting": "forecasting (ARIMA_PLUS, ARIMA_PLUS_XREG)",
    "recommendation": "matrix factorization",
}
SUPERVISED = frozenset({"regression", "classification"})
UNSUPERVISED = frozenset({"clustering", "dimensionality_reduction", "autoencoder"})
AUTOENCODER = frozenset({"autoencoder"})
TRAINED = SUPERVISED | UNSUPERVISED  # every model but an imported ONNX one
ANY = TRAINED | {"imported"}  # every model that predicts
EVERY = ANY | {"transform"}  # transform_only models too
TYPE_NAMES = {bool: "TRUE or FALSE", int: "an integer", float: "a number", str: "a string", list: "a list"}
FORECASTING = frozenset({"forecasting"})  # ARIMA_PLUS and ARIMA_PLUS_XREG
RECOMMENDATION = frozenset({"recommendation"})  # MATRIX_FACTORIZATION (functions/recommend.py)
INPUT = "TABLE t | (query)"


@dataclass(frozen=True)
class Param:
    """A STRUCT parameter: its type (bool, int, float, str or list); its default (None: absent unless given);
    `within`, the interval its value lies in ("[0, 1)", "[2, )"); `choices`, the strings it may be (matched
    case-insensitively, passed on as written here); `required`, what it is, when the call must give it;
    `needs_input`, whether it applies only to a call with input."""

    kind: type
    default: object = None
    within: str | None = None
    choices: tuple[str, ...] = ()
    required: str | None = None
    needs_input: bool = False


@dataclass(frozen=True)
class Signature:
    """How an ML function is called: see the module's docstring."""

    handler: str  # "module:function", imported on the first call
    tasks: frozenset[str] | None = ANY  # the model tasks it takes; None: a function of data, without a model
    input: str = "required"  # TABLE t | (query): "required", "optional" or "refused"
    second_input: str = "refused"  # a function of data's second input
    values: bool = False  # a list of values: GENERATE_ARRAY(start, end, step) or [v, ...]
    versioned: bool = True  # whether VERSION n (STRUCT(n AS version)) may choose the version read
    params: dict[str, Param] = field(default_factory=dict)


THRESHOLD = Param(float, within="[0, 1]")  # binary classifiers' (functions/predict.py binary_threshold)
TRIAL_ID = Param(int)
NUM_PERMUTATIONS = Param(int, 10, "[2, )")
DRIFT = {
    "categorical_default_threshold": Param(float, 0.3, "[0, 1)"),
    "categorical_metric_type": Param(str, "L_INFTY", choices=("L_INFTY", "JENSEN_SHANNON_DIVERGENCE")),
    "numerical_default_threshold": Param(float, 0.3, "[0, 1)"),
    "numerical_metric_type": Param(str, "JENSEN_SHANNON_DIVERGENCE", choices=("JENSEN_SHANNON_DIVERGENCE",)),
    "thresholds": Param(list),
}
HORIZON = Param(int, 3, "[1, )")
CONFIDENCE_LEVEL = Param(float, 0.95, "[0, 1)")
F = "sqlml.engine.functions."

ML_FUNCTIONS: dict[str, Signature] = {
    "PREDICT": Signature(
        F + "predict:predict",
        ANY | RECOMMENDATION,
        params={"threshold": THRESHOLD, "keep_original_columns": Param(bool), "trial_id": TRIAL_ID},
    ),
    "EVALUATE": Signature(
        F + "evaluate:evaluate",
        TRAINED | FORECASTING | RECOMMENDATION,
        "optional",
        params={
            "threshold": THRESHOLD,
            "trial_id": TRIAL_ID,
            # forecasting models only (functions/forecast_accuracy.py)
            "perform_aggregation": Param(bool, needs_input=True),
            "horizon": Param(int, within="[1, )", needs_input=True),
            "confidence_level": Param(float, within="[0, 1)", needs_input=True),
        },
    ),
    "TRANSFORM": Signature(F + "ml_transform:ml_transform", EVERY),
    "TRIAL_INFO": Signature(F + "training_history:trial_info", ANY | RECOMMENDATION, input="refused"),
    "TRAINING_INFO": Signature(F + "training_history:training_info", ANY | RECOMMENDATION, input="refused"),
    "CENTROIDS": Signature(
        F + "centroids_and_components:centroids",
        frozenset({"clustering"}),
        "refused",
        params={"standardize": Param(bool, False)},
    ),
    "CONFUSION_MATRIX": Signature(
        F + "confusion_and_roc:confusion_matrix",
        frozenset({"classification"}),
        "optional",
        params={"threshold": THRESHOLD, "trial_id": TRIAL_ID},
    ),
    "ROC_CURVE": Signature(
        F + "confusion_and_roc:roc_curve",
        frozenset({"classification"}),
        "optional",
        values=True,
        params={"trial_id": TRIAL_ID},
    ),
    "FEATURE_IMPORTANCE": Signature(F + "importance:feature_importance", SUPERVISED, "refused"),
    "VERSIONS": Signature(
        F + "training_history:versions", EVERY | FORECASTING | RECOMMENDATION, input="refused", versioned=False
    ),
    "WEIGHTS": Signature(
        F + "weights:weights",
        SUPERVISED | RECOMMENDATION,
        "refused",
        params={"standardize": Param(bool, False), "trial_id": TRIAL_ID},  # trial_id: sqlml's, as ML.EVALUATE's
    ),
    "ADVANCED_WEIGHTS": Signature(
        F + "weights:advanced_weights", SUPERVISED, "refused", params={"standardize": Param(bool, False)}
    ),
    "EXPLAIN_PREDICT": Signature(
        F + "explain:explain_predict",
        SUPERVISED,
        params={"top_k_features": Param(int, 5, "[1, )"), "threshold": THRESHOLD, "num_permutations": NUM_PERMUTATIONS},
    ),
    "GLOBAL_EXPLAIN": Signature(
        F + "explain:global_explain",
        SUPERVISED,
        "optional",
        params={"class_level_explain": Param(bool, False), "num_permutations": NUM_PERMUTATIONS},
    ),
    "PRINCIPAL_COMPONENTS": Signature(
        F + "centroids_and_components:principal_components", frozenset({"dimensionality_reduction"}), "refused"
    ),
    "PRINCIPAL_COMPONENT_INFO": Signature(
        F + "centroids_and_components:principal_component_info", frozenset({"dimensionality_reduction"}), "refused"
    ),
    "FEATURE_INFO": Signature(F + "feature_info:feature_info", TRAINED | {"transform"}, "refused"),
    "DETECT_ANOMALIES": Signature(
        F + "anomalies:detect_anomalies",
        UNSUPERVISED | FORECASTING,
        "optional",  # kmeans, pca, autoencoder need input; a forecasting model without it looks at its own history
        params={
            "contamination": Param(float, within="[0, 0.5]"),  # kmeans, pca, autoencoder: required (anomalies.py)
            "anomaly_prob_threshold": Param(float, within="[0, 1)"),  # forecasting models: 0.95 if not given
        },
    ),
    "RECONSTRUCTION_LOSS": Signature(F + "reconstruction:reconstruction_loss", AUTOENCODER),
    "GENERATE_EMBEDDING": Signature(
        F + "embedding:generate_embedding",
        frozenset({"dimensionality_reduction", "autoencoder"}) | RECOMMENDATION,
        "optional",  # pca, autoencoder: the rows to embed; matrix factorization: none (a remote model's, refused)
        params={"trial_id": TRIAL_ID},
    ),
    "FORECAST": Signature(
        F + "forecast:forecast",
        FORECASTING,
        "optional",  # ARIMA_PLUS_XREG: the regressors' future values
        params={"horizon": HORIZON, "confidence_level": CONFIDENCE_LEVEL},
    ),
    "EXPLAIN_FORECAST": Signature(
        F + "forecast:explain_forecast",
        FORECASTING,
        "optional",
        params={"horizon": HORIZON, "confidence_level": CONFIDENCE_LEVEL},
    ),
    "ARIMA_EVALUATE": Signature(
        F + "arima_info:arima_evaluate",
        FORECASTING,
        "refused",
        params={"show_all_candidate_models": Param(bool)},
    ),
    "ARIMA_COEFFICIENTS": Signature(F + "arima_info:arima_coefficients", FORECASTING, "refused"),
    "RECOMMEND": Signature(
        F + "recommend:recommend",
        RECOMMENDATION,
        "optional",  # TABLE users | TABLE items | (query) of user-item pairs; none: every pair
        params={"trial_id": TRIAL_ID, "top_k": Param(int, within="[1, )")},  # top_k: sqlml's, per user
    ),
    "FAIRNESS": Signature(
        F + "fairness:fairness",
        SUPERVISED,
        params={
            "sensitive_feature": Param(str, required="the input column whose values define the groups"),
            "threshold": THRESHOLD,
        },
    ),
    "ERROR_SLICES": Signature(
        F + "error_slices:error_slices",
        SUPERVISED,
        params={
            "max_slices": Param(int, 10, "[1, )"),
            "min_size": Param(int, within="[1, )"),
            "max_features": Param(int, 2, "[1, 3]"),
            "alpha": Param(float, 0.05, "(0, 1)"),
            "threshold": THRESHOLD,
        },
    ),
    "MODEL_CARD": Signature(
        F + "model_card:model_card",
        TRAINED | FORECASTING,
        "optional",
        params={
            "format": Param(str, "markdown", choices=("markdown", "html")),
            "sensitive_feature": Param(str, needs_input=True),
        },
    ),
    "DESCRIBE_DATA": Signature(
        F + "data_validation:describe_data",
        None,
        versioned=False,
        params={
            "num_quantiles": Param(int, 2, "[1, 100000]"),
            "num_array_length_quantiles": Param(int, 10, "[1, 100000]"),
            "top_k": Param(int, 1, "[1, 10000]"),
        },
    ),
    "VALIDATE_DATA_SKEW": Signature(F + "data_validation:validate_data_skew", TRAINED, params=DRIFT),
    "VALIDATE_DATA_DRIFT": Signature(
        F + "data_validation:validate_data_drift",
        None,
        second_input="required",
        versioned=False,
        params={**DRIFT, "num_histogram_buckets": Param(int, within="[1, 1000]")},
    ),
}


def run(ctx: MLContext, call: MLFunction):
    """The relation or SQL of an ML function call, once the call, and its model, fit the signature."""
    model, params = checked(ctx, call)
    return _handler(_signature(call.function).handler)(ctx, call, model, params)


def checked(ctx: MLContext, call: MLFunction) -> tuple[Model | None, dict]:
    """The call's model (None for a function of data) and STRUCT parameters, once they fit its signature."""
    name = call.function
    signature = _signature(name)
    params = check(name, signature, call)
    model = None if signature.tasks is None else ctx.model(call, params.get("trial_id"))
    if model is not None and model.task not in signature.tasks:
        kind = {
            "imported": "an imported ONNX model",
            "transform": "a transform_only model, which only ML.TRANSFORM applies",
            "forecasting": f"an {model.version.model_type.upper()} model, which ML.FORECAST forecasts",
        }.get(model.task, f"a {model.version.estimator_type or model.version.model_type}")
        tasks = _and(TASK_NAMES[task] for task in TASK_NAMES if task in signature.tasks)
        raise NotSupportedError(f"ML.{name} takes {tasks} models; model {model.version.qualified_name} is {kind}")
    return model, params


def _signature(name: str) -> Signature:
    signature = ML_FUNCTIONS.get(name)
    if signature is None:
        from sqlml.parser.bigquery_only import refuse_function  # on this error path only: `import sqlml` skips it

        refuse_function(name)
        known = [f"ML.{known}" for known in ML_FUNCTIONS]
        raise ProgrammingError(
            f"unknown function ML.{name}.{did_you_mean(f'ML.{name}', known)} Available: " + ", ".join(known)
        )
    return signature


def check(name: str, signature: Signature, call: MLFunction) -> dict:
    """The call's STRUCT parameters, checked with their defaults added, once its arguments fit `signature`."""
    use = usage(name)
    _check_arguments(name, signature, call, use)
    given = call.params_dict
    for param, value in given.items():
        if param not in signature.params:
            raise ProgrammingError(
                f"ML.{name} has no parameter {param!r}.{did_you_mean(param, signature.params)} "
                f"Valid parameters: {', '.join(signature.params) or 'none'}"
            )
        given[param] = _checked(name, param, signature.params[param], value, use, call.input_sql is not None)
    for param, spec in signature.params.items():
        if param not in given and spec.required:
            raise ProgrammingError(f"ML.{name} needs STRUCT(<value> AS {param}): {spec.required}")
        if param not in given and spec.default is not None:
            given[param] = spec.default
    return given


def _check_arguments(name: str, signature: Signature, call: MLFunction, use: str) -> None:
    """The call's list of values, version and inputs against `signature` (`use`: how the function is called)."""
    if call.args.get("values") is not None and not signature.values:
        raise ProgrammingError(
            f"ML.{name} takes no list of values; only "
            + _and(f"ML.{n}" for n, s in ML_FUNCTIONS.items() if s.values)
            + " does"
        )
    if not signature.versioned and call.model_version is not None:
        raise ProgrammingError(f"ML.{name} takes no model version: {use}")
    if call.input_sql is not None and signature.input == "refused":
        raise ProgrammingError(f"ML.{name} takes a model only: {use}")
    if call.input_sql is None and signature.input == "required":
        raise ProgrammingError(f"ML.{name} needs input data: {use}")
    if call.second_input_sql is not None and signature.second_input == "refused":
        raise ProgrammingError(f"ML.{name} takes one input: {use}")
    if call.second_input_sql is None and signature.second_input == "required":
        raise ProgrammingError(f"ML.{name} needs second input data: {use}")


def _checked(name: str, param: str, spec: Param, value, use: str, has_input: bool):
    """`value` of parameter `param` of ML.<name>, checked against `spec` (an integer given as a number)."""
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if spec.kind is float and number:
        value = float(value)
    if not (number and isinstance(value, spec.kind) if spec.kind in (int, float) else isinstance(value, spec.kind)):
        raise ProgrammingError(f"ML.{name} parameter {param} must be {TYPE_NAMES[spec.kind]}, got {value!r}")
    if spec.within is not None and not _inside(value, spec.within):
        raise ProgrammingError(f"ML.{name} parameter {param} must be {_interval_text(spec.within)}, got {value!r}")
    if spec.choices:
        chosen = {choice.lower(): choice for choice in spec.choices}.get(value.lower())
        if chosen is None:
            raise ProgrammingError(
                f"ML.{name} parameter {param} must be {_and(map(repr, spec.choices), 'or')}, got {value!r}"
            )
        value = chosen
    if spec.needs_input and not has_input:
        raise ProgrammingError(f"ML.{name} parameter {param} needs input data: {use}")
    return value


def _inside(value: float, interval: str) -> bool:
    low, high = (bound.strip() for bound in interval[1:-1].split(","))
    above = not low or (value >= float(low) if interval[0] == "[" else value > float(low))
    below = not high or (value <= float(high) if interval[-1] == "]" else value < float(high))
    return above and below


def _interval_text(interval: str) -> str:
    """'in [0, 1)', or for a one-sided interval 'at least 2', 'greater than 0', 'at most 5', 'less than 5'."""
    low, high = (bound.strip() for bound in interval[1:-1].split(","))
    if low and high:
        return f"in {interval}"
    if low:
        return f"at least {low}" if interval[0] == "[" else f"greater than {low}"
    return f"at most {high}" if interval[-1] == "]" else f"less than {high}"


@functools.cache
def usage(name: str) -> str:
    """How ML.<name> is called, e.g. ML.EVALUATE(MODEL m [, TABLE t | (query)] [, STRUCT(threshold, trial_id)])."""
    signature = ML_FUNCTIONS[name]
    arguments = [("MODEL m", True)] if signature.tasks is not None else []
    arguments += [(INPUT, signature.input == "required")] if signature.input != "refused" else []
    arguments += (
        [("TABLE u | (query)", signature.second_input == "required")] if signature.second_input != "refused" else []
    )
    arguments += [("[v, ...]", False)] if signature.values else []
    if signature.params:
        arguments.append((f"STRUCT({', '.join(signature.params)})", any(p.required for p in signature.params.values())))
    text = ""
    for i, (argument, required) in enumerate(arguments):
        argument = f", {argument}" if i else argument
        text += argument if required else f" [{argument}]" if i else f"[{argument}]"
    return f"ML.{name}({text})"


def _and(items, conjunction: str = "and") -> str:
    """'a', 'a and b', 'a, b and c'."""
    items = list(items)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


@functools.cache
def _handler(path: str) -> Callable:
    module, function = path.split(":")
    return getattr(importlib.import_module(module), function)

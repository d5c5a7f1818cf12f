"""Options and combination rules several families share: the data split, tuning, warm start, class weights
and the fairness constraint. A family's record lists the groups it takes and the rules that apply."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlml.engine.families.options import Option
from sqlml.engine.metrics import CLASSIFICATION_METRICS, CLUSTERING_METRICS, REGRESSION_METRICS
from sqlml.errors import NotSupportedError, ProgrammingError

SPLIT_METHODS = ("AUTO_SPLIT", "RANDOM", "CUSTOM", "SEQ", "NO_SPLIT")
SEED = Option("int", low=0, high=2**31 - 1, default=0, tunable=False)

# data_split_eval_fraction None: RANDOM then splits like AUTO_SPLIT, SEQ takes 0.2 (as BigQuery ML does).
SPLIT = {
    "input_label_cols": Option("str_list", default=["label"], tunable=False),
    "data_split_method": Option("enum", SPLIT_METHODS, default="AUTO_SPLIT", tunable=False),
    "data_split_eval_fraction": Option("float", low=0.0, high=1.0, open_low=True, tunable=False),
    "data_split_test_fraction": Option("float", low=0.0, high=1.0, open_low=True, open_high=True, tunable=False),
    "data_split_col": Option("str", tunable=False),
    "seed": SEED,
}
TUNING = {
    "num_trials": Option("int", low=1, high=100, default=1, tunable=False),  # BigQuery ML: "1 to 100"
    "max_parallel_trials": Option("int", low=1, high=64, default=1, tunable=False),
    "hparam_tuning_algorithm": Option(
        "enum", ("VIZIER_DEFAULT", "RANDOM_SEARCH", "GRID_SEARCH"), default="VIZIER_DEFAULT", tunable=False
    ),
    "hparam_tuning_objectives": Option(
        "enum_list", (*CLASSIFICATION_METRICS, *REGRESSION_METRICS, *CLUSTERING_METRICS), tunable=False
    ),
}
WARM_START = {"warm_start": Option("bool", default=False, tunable=False)}
# where training runs (engine/compute.py): the session's cluster when it has one (AUTO), always (CLUSTER), never
COMPUTE = {"compute": Option("enum", ("AUTO", "CLUSTER", "LOCAL"), default="AUTO", tunable=False)}
# classifiers: row weights, and the fairness constraint they may train under (see engine/functions/fairness.py)
CLASS_WEIGHTS = {
    "auto_class_weights": Option("bool", default=False),
    "class_weights": Option("weights", tunable=False),
    "fairness_constraint": Option("enum", ("DEMOGRAPHIC_PARITY", "EQUALIZED_ODDS"), tunable=False),
    "sensitive_feature": Option("str", tunable=False),
    "fairness_grid_size": Option("int", low=2, high=1000, tunable=False),  # None: 10, fairlearn's default
}
# ML.GLOBAL_EXPLAIN needs a model trained with enable_global_explain = TRUE, as in BigQuery ML
GLOBAL_EXPLAIN = {"enable_global_explain": Option("bool", default=False, tunable=False)}
# XGBoost's knobs of BigQuery ML's trees that change nothing here: sqlml's explanations of trees are exact
# (TreeSHAP) or sampled whatever approx_global_feature_contrib says, and no XGBoost version is involved
XGBOOST_ONLY = {
    "approx_global_feature_contrib": Option("bool", default=False, tunable=False),
    "xgboost_version": Option("enum", ("0.9", "1.1"), default="0.9", tunable=False),
}


def category_encoding(*methods: str) -> dict[str, Option]:
    """category_encoding_method with the `methods` a family takes, the first the default."""
    return {"category_encoding_method": Option("enum", methods, default=methods[0], tunable=False)}


EARLY_STOP = {"early_stop": Option("bool", default=True), "min_rel_progress": Option("float", low=0.0, default=0.01)}

_TREE = {
    "max_tree_depth": Option("int", low=1, high=20),  # BigQuery ML's range (hyperparameter tuning overview)
    "num_parallel_tree": Option("int", low=1, high=1000),  # sqlml's bound: BigQuery ML documents none
    "subsample": Option("float", low=0.0, high=1.0, open_low=True),
    "colsample_bytree": Option("float", low=0.0, high=1.0, open_low=True),
    "colsample_bylevel": Option("float", low=0.0, high=1.0, open_low=True),
    "colsample_bynode": Option("float", low=0.0, high=1.0, open_low=True),
    "min_tree_child_weight": Option("int", low=0, high=2**31 - 1),
    "min_split_loss": Option("float", low=0.0),
    "tree_method": Option("enum", ("AUTO", "EXACT", "APPROX", "HIST")),
}


_REGISTRY = (
    "registers the model in Vertex AI's Model Registry, a Google Cloud service; here the model lives in "
    "the DuckDB file's catalog (SHOW MODELS, ML.VERSIONS), and EXPORT MODEL writes it out as ONNX"
)
# CREATE / ALTER MODEL options that act on Google Cloud services: refused for every model type, with the reason
CLOUD_ONLY = {
    "kms_key_name": (
        "it names a Cloud KMS key that BigQuery encrypts the model's storage with; sqlml stores the model "
        "in the DuckDB file, which no Cloud KMS key applies to (encrypt the file or its disk instead)"
    ),
    "model_registry": "it " + _REGISTRY,
    "vertex_ai_model_id": "it " + _REGISTRY,
    "vertex_ai_model_version_aliases": "it " + _REGISTRY,
}


def refuse_cloud_options(raw: dict[str, Any]) -> None:
    """NotSupportedError for the first Google Cloud option (CLOUD_ONLY) among `raw`'s lower-cased names."""
    for name in raw:
        if name in CLOUD_ONLY:
            raise NotSupportedError(f"OPTIONS: {name} is a Google Cloud option: {CLOUD_ONLY[name]}")


def tree_options(**defaults: Any) -> dict[str, Option]:
    """The tree options named, in that order, with these defaults."""
    return {name: replace(_TREE[name], default=value) for name, value in defaults.items()}


def iterations(default: int) -> dict[str, Option]:
    return {"max_iterations": Option("int", low=1, high=1_000_000, default=default)}


def regularization(l1: float | None, l2: float) -> dict[str, Option]:
    """l1_reg (None: the family has none) and l2_reg with these defaults."""
    return ({} if l1 is None else {"l1_reg": Option("float", low=0.0, default=l1)}) | {
        "l2_reg": Option("float", low=0.0, default=l2)
    }


def learn_rate(default: float) -> dict[str, Option]:
    return {"learn_rate": Option("float", low=0.0, open_low=True, default=default)}


def data_split(options: dict[str, Any]) -> None:
    """data_split_col and the fractions apply to the data_split_methods that read them; the fractions leave
    training rows."""
    method = options["data_split_method"]
    if method in ("CUSTOM", "SEQ") and not options["data_split_col"]:
        raise ProgrammingError(f"OPTIONS: data_split_method={method} requires data_split_col")
    if method not in ("CUSTOM", "SEQ") and options["data_split_col"]:
        raise ProgrammingError(f"OPTIONS: data_split_col applies to data_split_method CUSTOM or SEQ, not {method}")
    for fraction in ("data_split_eval_fraction", "data_split_test_fraction"):
        if method not in ("RANDOM", "SEQ") and options.get(fraction) is not None:
            raise ProgrammingError(f"OPTIONS: {fraction} applies to data_split_method RANDOM or SEQ, not {method}")
    evaluation, test = options["data_split_eval_fraction"], options.get("data_split_test_fraction")
    if evaluation is None:
        evaluation = 0.2 if method == "SEQ" else 0.0  # RANDOM's default evaluation rows depend on the row count
    if test is not None and evaluation + test >= 1:
        raise ProgrammingError(
            f"OPTIONS: data_split_eval_fraction + data_split_test_fraction must stay below 1 to leave training "
            f"rows, got {evaluation} + {test}"
        )


# boosted trees and random forests: a column of row weights, never a feature
INSTANCE_WEIGHT = {"instance_weight_col": Option("str", tunable=False)}


def instance_weights(options: dict[str, Any]) -> None:
    """instance_weight_col weighs rows itself: not with class weights or a fairness constraint (which weigh
    rows their own way)."""
    if options["instance_weight_col"] is None:
        return
    for other in ("auto_class_weights", "class_weights", "fairness_constraint"):
        if options.get(other):
            raise ProgrammingError(f"OPTIONS: instance_weight_col and {other} cannot be used together")


def class_weights(options: dict[str, Any]) -> None:
    if options["class_weights"] and options["auto_class_weights"]:
        raise ProgrammingError("OPTIONS: class_weights and auto_class_weights=TRUE cannot be used together")


def fairness(options: dict[str, Any]) -> None:
    """fairness_constraint, sensitive_feature and fairness_grid_size go together, on a column not the label,
    without tuning or warm start."""
    if (options["fairness_constraint"] is None) != (options["sensitive_feature"] is None):
        raise ProgrammingError(
            "OPTIONS: fairness_constraint and sensitive_feature go together: the constraint "
            "holds across the groups of the sensitive_feature column"
        )
    if options["fairness_grid_size"] is not None and options["fairness_constraint"] is None:
        raise ProgrammingError(
            "OPTIONS: fairness_grid_size applies to training under a fairness_constraint; set "
            "fairness_constraint and sensitive_feature, or leave fairness_grid_size out"
        )
    sensitive = options["sensitive_feature"]
    if sensitive and sensitive.lower() == options["input_label_cols"][0].lower():
        raise ProgrammingError(
            f"OPTIONS: sensitive_feature '{sensitive}' is the label; the "
            "fairness constraint holds across the groups of another column"
        )
    if options["fairness_constraint"] and (options["num_trials"] > 1 or options.get("warm_start")):
        raise ProgrammingError(
            "OPTIONS: fairness_constraint trains its own grid of models; it cannot be combined "
            "with num_trials > 1 or warm_start"
        )


CLASSIFIER_RULES = (class_weights, fairness)

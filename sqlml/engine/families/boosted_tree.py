"""boosted_tree_regressor / boosted_tree_classifier on LightGBM, stored as LightGBM model text.

Option mapping: max_iterations -> num_iterations, learn_rate -> learning_rate, max_tree_depth -> max_depth
(num_leaves = 2^depth, so trees may be as full as XGBoost's depth-wise ones; at most the training row count,
which no tree can exceed), l1_reg/l2_reg -> lambda_l1/l2, min_split_loss -> min_gain_to_split,
min_tree_child_weight -> min_sum_hessian_in_leaf (and, as in XGBoost, no minimum row count per leaf),
subsample -> bagging_fraction, colsample_bytree -> feature_fraction, colsample_bylevel * colsample_bynode ->
feature_fraction_bynode (LightGBM samples no columns per depth level: each node draws the share of the tree's
columns that XGBoost's level and node samples leave together, a node's own draw rather than its level's).
booster_type='DART' -> boosting='dart' with XGBoost's DART: dropout -> drop_rate, every tree a candidate
(skip_drop=0, max_drop=-1, uniform_drop), dart_normalize_type='TREE' -> xgboost_dart_mode (a new tree weighs
learn_rate / (k + learn_rate) and the k dropped ones k / (k + learn_rate)); 'FOREST' has no LightGBM
counterpart and is refused. LightGBM always builds histograms (tree_method below). Label-encoded categories
are LightGBM native categorical features. early_stop: training stops once an iteration improves the
evaluation-split loss (the training loss without a split; measured on 10,000 training rows when there are
more) by less than min_rel_progress, relative to the best loss so far. warm_start continues
boosting from the previous version's trees (init_model).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np

from sqlml.engine.families import lightgbm_text
from sqlml.engine.families.base import SAMPLE_ROWS, Family, TrainData, record_iteration, training_sample
from sqlml.engine.families.common import (
    CLASS_WEIGHTS,
    CLASSIFIER_RULES,
    COMPUTE,
    EARLY_STOP,
    GLOBAL_EXPLAIN,
    INSTANCE_WEIGHT,
    SPLIT,
    TUNING,
    WARM_START,
    XGBOOST_ONLY,
    category_encoding,
    data_split,
    instance_weights,
    iterations,
    learn_rate,
    regularization,
    tree_options,
)
from sqlml.engine.families.options import Option
from sqlml.errors import NotSupportedError, ProgrammingError

if TYPE_CHECKING:
    import lightgbm as lgb


class BoosterModel:
    """A LightGBM booster, scored by ONNX Runtime (exact in double precision and faster than LightGBM's
    predictor: see lightgbm_onnx.py) with LightGBM's links: identity, sigmoid, softmax."""

    def __init__(self, booster: lgb.Booster, n_classes: int):
        import onnxruntime as ort

        from sqlml.engine.families.lightgbm_onnx import booster_to_onnx

        self.booster = booster
        self.n_classes = n_classes
        options = ort.SessionOptions()
        options.log_severity_level = 3
        self.session = ort.InferenceSession(
            booster_to_onnx(booster).SerializeToString(), options, providers=["CPUExecutionProvider"]
        )

    def predict(self, X: np.ndarray) -> np.ndarray:
        from scipy.special import expit, softmax

        raw = self.session.run(None, {"X": X})[0]
        if self.n_classes == 2:
            positive = expit(raw[:, 0])
            return np.column_stack([1.0 - positive, positive])
        return softmax(raw, axis=1) if self.n_classes else raw[:, 0]

    @property
    def n_features(self) -> int:
        return self.booster.num_feature()

    def artifact(self) -> bytes:
        return self.booster.model_to_string().encode()

    def splits(self):
        """(matrix column, gain, cover) of every split of every tree (ML.FEATURE_IMPORTANCE)."""
        for tree in self.booster.dump_model()["tree_info"]:
            pending = [tree["tree_structure"]]
            while pending:
                node = pending.pop()
                if "split_index" in node:
                    yield node["split_feature"], node["split_gain"], node["internal_count"]
                    pending += [node["left_child"], node["right_child"]]

    @classmethod
    def load(cls, data: bytes, n_classes: int) -> BoosterModel:
        """The booster of LightGBM model text, checked (lightgbm_text.py) before LightGBM parses it."""
        import lightgbm as lgb

        text = data.decode("ascii")
        lightgbm_text.check(text, n_classes)
        return cls(lgb.Booster(model_str=text), n_classes)


EXACT_MAX_BIN = 65_536  # tree_method='EXACT': every distinct value a split candidate, up to this many per column
EXACT_HISTOGRAMS_MB = 1024  # ... whose histograms LightGBM keeps in at most this much memory (recomputing the rest)
APPROX_MAX_BIN = 33  # tree_method='APPROX': XGBoost's quantile sketch, sketch_eps = 0.03, keeps about 1 / 0.03 bins


def histogram_params(tree_method: str, X: np.ndarray | None, n_rows: int) -> dict:
    """LightGBM's bins for a BigQuery ML tree_method (LightGBM always splits on histograms): HIST and AUTO
    (XGBoost's hist) 256 bins; APPROX as many as XGBoost's sketch keeps; EXACT one bin per distinct value
    (up to EXACT_MAX_BIN), built from every row, so that every split XGBoost's exact greedy search
    enumerates is a candidate; so many bins get a cap on the memory of cached histograms. Without the rows
    `X` at hand (a cluster's), every column may have EXACT_MAX_BIN bins: LightGBM still makes one per distinct
    value when there are fewer."""
    if tree_method == "APPROX":
        return {"max_bin": APPROX_MAX_BIN}
    if tree_method != "EXACT":
        return {"max_bin": 256}
    bins = (
        {"max_bin": EXACT_MAX_BIN}
        if X is None
        else {"max_bin_by_feature": [min(max(2, len(np.unique(c[~np.isnan(c)]))), EXACT_MAX_BIN) for c in X.T]}
    )
    return {
        **bins,
        "min_data_in_bin": 1,
        "bin_construct_sample_cnt": max(1, n_rows),
        "histogram_pool_size": EXACT_HISTOGRAMS_MB,
    }


def lightgbm_params(options: dict, n_classes: int, X: np.ndarray | None, n_rows: int | None = None) -> dict:
    """LightGBM parameters equivalent to the BigQuery ML options (see module docstring) for the training rows
    `X` (or, on a cluster, `n_rows` rows not at hand): a tree has at most one leaf per row, and LightGBM's work
    per round grows with num_leaves."""
    n_rows = len(X) if X is not None else n_rows
    objective = {0: "regression", 2: "binary"}.get(n_classes, "multiclass")
    params = {
        "objective": objective,
        "learning_rate": options["learn_rate"],
        "max_depth": options["max_tree_depth"],
        "num_leaves": max(2, min(2 ** options["max_tree_depth"], 131072, n_rows)),
        "lambda_l1": options["l1_reg"],
        "lambda_l2": options["l2_reg"],
        "min_gain_to_split": options["min_split_loss"],
        "min_sum_hessian_in_leaf": options["min_tree_child_weight"],
        "min_data_in_leaf": 1,
        "bagging_fraction": options["subsample"],
        "bagging_freq": 1 if options["subsample"] < 1 else 0,
        "feature_fraction": options["colsample_bytree"],
        "feature_fraction_bynode": options["colsample_bylevel"] * options["colsample_bynode"],
        "seed": options["seed"],
        "deterministic": True,
        "verbosity": -1,
        **histogram_params(options["tree_method"], X, n_rows),
    }
    if options["booster_type"] == "DART":  # XGBoost's DART (module docstring)
        params |= {
            "boosting": "dart",
            "drop_rate": options["dropout"],
            "skip_drop": 0.0,
            "max_drop": -1,
            "uniform_drop": True,
            "xgboost_dart_mode": True,
            "drop_seed": options["seed"],
        }
    if objective == "multiclass":
        params["num_class"] = n_classes
    return params


def _recorder(history: list[dict], learning_rate: float):
    """A callback adding each iteration's training and evaluation loss to `history`."""
    started = [time.perf_counter()]

    def callback(env: lgb.callback.CallbackEnv) -> None:
        losses = {name: value for name, _, value, _ in env.evaluation_result_list}
        started[0] = record_iteration(history, started[0], losses["training"], losses.get("evaluation"), learning_rate)

    callback.order = 20
    return callback


def _reporter(data: TrainData):
    """A callback reporting each boosting iteration to the statement's progress."""

    def callback(env: lgb.callback.CallbackEnv) -> None:
        data.progress("training", env.iteration - env.begin_iteration + 1, env.end_iteration - env.begin_iteration)

    callback.order = 40
    return callback


def stops(best: float, loss: float, min_rel_progress: float) -> bool:
    """Whether early_stop ends training at an iteration of `loss`, the best loss before it `best` (inf: none)."""
    return best < np.inf and (best - loss) < min_rel_progress * abs(best)


def _relative_progress_stop(min_rel_progress: float):
    """A callback ending training when the watched loss improves by less than min_rel_progress."""
    best = [np.inf]

    import lightgbm as lgb

    def callback(env: lgb.callback.CallbackEnv) -> None:
        loss = env.evaluation_result_list[-1][2]
        if stops(best[0], loss, min_rel_progress):
            raise lgb.callback.EarlyStopException(env.iteration, env.evaluation_result_list)
        best[0] = min(best[0], loss)

    callback.order = 30
    return callback


def fit_boosted_tree(data: TrainData) -> BoosterModel:
    import lightgbm as lgb

    options = data.options
    train = lgb.Dataset(
        data.X,
        data.y,
        weight=data.weights,
        categorical_feature=data.categorical_indices,
        params={"verbosity": -1},
        free_raw_data=False,
    )
    has_eval = data.X_eval is not None and len(data.X_eval)
    watched = train
    if len(data.X) > SAMPLE_ROWS:  # the training loss of every round, measured on a sample: it is cheap
        rows = training_sample(len(data.X), options["seed"])
        watched = train.create_valid(
            data.X[rows], data.y[rows], weight=None if data.weights is None else data.weights[rows]
        )
    valid_sets = [watched] + ([train.create_valid(data.X_eval, data.y_eval)] if has_eval else [])
    callbacks = [_recorder(data.history, options["learn_rate"]), _reporter(data)]
    if options["early_stop"]:  # watches the last set: the evaluation split if there is one
        callbacks.append(_relative_progress_stop(options["min_rel_progress"]))
    booster = lgb.train(
        lightgbm_params(options, data.n_classes, data.X),
        train,
        options["max_iterations"],
        valid_sets=valid_sets,
        valid_names=["training", "evaluation"][: len(valid_sets)],
        callbacks=callbacks,
        init_model=data.init and data.init.booster,
    )
    return BoosterModel(booster, data.n_classes)


def one_tree_per_iteration(options: dict) -> None:
    if options["num_parallel_tree"] != 1:
        raise ProgrammingError(
            "OPTIONS: num_parallel_tree > 1 (boosted random forests) is not supported: "
            "sqlml's boosted trees grow one LightGBM tree per iteration"
        )


def dart_options(options: dict) -> None:
    """DART's FOREST normalization has no LightGBM counterpart. (dropout and dart_normalize_type change nothing
    with GBTREE, as XGBoost's DART parameters: a search may tune them alongside booster_type.)"""
    if options["dart_normalize_type"] == "FOREST":
        raise NotSupportedError(
            "OPTIONS: dart_normalize_type='FOREST' is not supported: LightGBM, which sqlml's boosted trees use, "
            "normalizes DART tree by tree (a new tree weighs learn_rate / (k + learn_rate) of k dropped ones); "
            "use 'TREE'"
        )


def propose(trial) -> dict:
    """AutoML: a candidate's hyperparameters from an optuna trial."""
    return {
        "learn_rate": trial.suggest_float("learn_rate", 0.02, 0.5, log=True),
        "max_tree_depth": trial.suggest_int("max_tree_depth", 2, 10),
        "max_iterations": trial.suggest_int("max_iterations", 20, 300),
        "l2_reg": trial.suggest_float("l2_reg", 0.0, 10.0),
        "subsample": trial.suggest_float("subsample", 0.5, 1.0),
    }


OPTIONS = {
    **SPLIT,
    **regularization(0.0, 1.0),
    **iterations(20),
    **learn_rate(0.3),
    **EARLY_STOP,
    **tree_options(
        max_tree_depth=6,
        num_parallel_tree=1,
        subsample=1.0,
        colsample_bytree=1.0,
        colsample_bylevel=1.0,
        colsample_bynode=1.0,
        min_tree_child_weight=1,
        min_split_loss=0.0,
        tree_method="AUTO",
    ),
    "booster_type": Option("enum", ("GBTREE", "DART"), default="GBTREE"),
    "dart_normalize_type": Option("enum", ("TREE", "FOREST"), default="TREE"),
    "dropout": Option("float", low=0.0, high=1.0, default=0.0),
    **TUNING,
    **WARM_START,
    **GLOBAL_EXPLAIN,
    **XGBOOST_ONLY,
    **category_encoding("LABEL_ENCODING", "ONE_HOT_ENCODING", "TARGET_ENCODING"),
    **INSTANCE_WEIGHT,
    **COMPUTE,
}
_SHARED = dict(
    fit=fit_boosted_tree,
    load=BoosterModel.load,
    artifact_format="lightgbm",
    linear_encoding=False,
    warm_start_kept=("category_encoding_method",),
    search_space={
        "learn_rate": {"hparam_range": [0.01, 0.5]},
        "max_tree_depth": {"hparam_range": [2, 10]},
        "l2_reg": {"hparam_range": [0.0, 10.0]},
        "subsample": {"hparam_range": [0.5, 1.0]},
    },
    propose=propose,
    explainer="tree_shap",
    importance="splits",
    onnx_builder="booster",
    quantize=("FLOAT16",),
    quantize_auto="FLOAT16",
    cluster_trainer="lightgbm",
)
FAMILIES = (
    Family(
        "boosted_tree_regressor",
        "regression",
        OPTIONS,
        rules=(data_split, one_tree_per_iteration, dart_options, instance_weights),
        **_SHARED,
    ),
    Family(
        "boosted_tree_classifier",
        "classification",
        {**OPTIONS, **CLASS_WEIGHTS},
        max_classes=1000,
        rules=(data_split, one_tree_per_iteration, dart_options, instance_weights, *CLASSIFIER_RULES),
        **_SHARED,
    ),
)

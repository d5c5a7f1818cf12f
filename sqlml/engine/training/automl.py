"""automl_classifier / automl_regressor: a search over model families and their hyperparameters.

Candidates are linear (logistic_reg / linear_reg), boosted tree, random forest and DNN models. Each
family's defaults are tried first (the boosted tree first of all), then optuna's TPE sampler proposes
families and hyperparameters. A candidate is scored by 3-fold cross-validation on the training split
(stratified for classifiers) with optimization_objective (MINIMIZE_RMSE: the root mean squared error);
its metrics averaged over the folds are the trial's. Every class needs FOLDS training rows; a candidate
whose metric is undefined on a fold fails and the search goes on. The search stops launching candidates once the
next one would, by that family's last cross-validation time, end past 80% of budget_hours, so the final
training of the best candidate on the whole training split fits in the budget. The version keeps every
candidate as a trial (ML.TRIAL_INFO: model_type and hyperparameters, cross-validated objective) and the
winner's model (`estimator_type`).
"""

from __future__ import annotations

import time

import numpy as np
import optuna
from sklearn.model_selection import KFold, StratifiedKFold

from sqlml.engine import metrics
from sqlml.engine.store.catalog import TrialRecord
from sqlml.engine.data.features import FeatureEncoder
from sqlml.engine.families import TRAINERS, TrainData
from sqlml.errors import DataError, Error, ProgrammingError
from sqlml.parser.options import MODEL_TYPE_DEFAULTS

TASKS = {"automl_classifier": "classification", "automl_regressor": "regression"}
FAMILIES = {
    "classification": ("boosted_tree_classifier", "logistic_reg", "random_forest_classifier", "dnn_classifier"),
    "regression": ("boosted_tree_regressor", "linear_reg", "random_forest_regressor", "dnn_regressor"),
}
# optimization_objective -> (ML.EVALUATE metric, maximize?)
OBJECTIVES = {"MAXIMIZE_AU_ROC": ("roc_auc", True), "MINIMIZE_LOG_LOSS": ("log_loss", False),
              "MAXIMIZE_ACCURACY": ("accuracy", True), "MAXIMIZE_F1_SCORE": ("f1_score", True),
              "MINIMIZE_RMSE": ("root_mean_squared_error", False), "MINIMIZE_MAE": ("mean_absolute_error", False),
              "MAXIMIZE_R2_SCORE": ("r2_score", True)}
DEFAULT_OBJECTIVES = {"classification": "MAXIMIZE_AU_ROC", "regression": "MINIMIZE_RMSE"}
FOLDS = 3
SEARCH_SHARE = 0.8  # of the budget; the rest is for training the winner


def _propose(trial: optuna.Trial, family: str) -> dict:
    """Hyperparameters of one candidate of `family`."""
    if family.startswith("boosted_tree"):
        return {"learn_rate": trial.suggest_float("learn_rate", 0.02, 0.5, log=True),
                "max_tree_depth": trial.suggest_int("max_tree_depth", 2, 10),
                "max_iterations": trial.suggest_int("max_iterations", 20, 300),
                "l2_reg": trial.suggest_float("l2_reg", 0.0, 10.0),
                "subsample": trial.suggest_float("subsample", 0.5, 1.0)}
    if family in ("logistic_reg", "linear_reg"):
        return {"l2_reg": trial.suggest_float("l2_reg_linear", 0.0, 10.0),
                "max_iterations": 100}
    if family.startswith("random_forest"):
        return {"num_parallel_tree": trial.suggest_int("num_parallel_tree", 50, 200),
                "max_tree_depth": trial.suggest_int("max_tree_depth_forest", 5, 20),
                "colsample_bynode": trial.suggest_float("colsample_bynode", 0.3, 1.0)}
    return {"hidden_units": [[32], [64, 32], [128, 64]][trial.suggest_int("hidden_layout", 0, 2)],
            "learn_rate": trial.suggest_float("learn_rate_dnn", 0.001, 0.05, log=True),
            "max_iterations": trial.suggest_int("epochs", 20, 100)}


def _cross_validate(family: str, options: dict, X: np.ndarray, y: np.ndarray, n_classes: int,
                    categorical: list[int], metric: str, seed: int) -> tuple[float, dict]:
    """The mean `metric` of `family` with `options` over FOLDS folds of the training rows, and the mean
    of every ML.EVALUATE metric (a fold where one is undefined leaves it out)."""
    splitter = StratifiedKFold(FOLDS, shuffle=True, random_state=seed) if n_classes else \
        KFold(FOLDS, shuffle=True, random_state=seed)
    folds = []
    for fit_rows, held_out in splitter.split(X, y):
        estimator = TRAINERS[family].fit(TrainData(X=X[fit_rows], y=y[fit_rows], options=options,
                                                   n_classes=n_classes, categorical_indices=categorical))
        row = metrics.compute(TRAINERS[family].task, y[held_out], estimator.predict(X[held_out]))
        if not n_classes:
            row["root_mean_squared_error"] = float(np.sqrt(row["mean_squared_error"]))
        if row[metric] is None:
            raise DataError(f"{metric} is undefined on a cross-validation fold")
        folds.append(row)
    means = {k: float(np.mean([f[k] for f in folds if f[k] is not None])) if any(f[k] is not None for f in folds)
             else None for k in folds[0]}
    return means[metric], means


def search(options: dict, specs: list[dict], train_rows, y: np.ndarray, n_classes: int) -> tuple[str, dict, list]:
    """(winning model_type, its complete options, the candidates as TrialRecords) for automl `options`."""
    task = TASKS[options["model_type"]]
    objective = options["optimization_objective"] or DEFAULT_OBJECTIVES[task]
    metric, maximize = OBJECTIVES[objective]
    if metric not in (metrics.CLASSIFICATION_METRICS if task == "classification"
                      else (*metrics.REGRESSION_METRICS, "root_mean_squared_error")):
        raise ProgrammingError(f"OPTIONS: optimization_objective {objective} does not apply to {options['model_type']}")
    if n_classes and np.bincount(y, minlength=n_classes).min() < FOLDS:
        raise DataError(f"AutoML cross-validates with {FOLDS} folds, so every class needs at least {FOLDS} training "
                        f"rows; the smallest class has {np.bincount(y, minlength=n_classes).min()}")
    started, budget = time.perf_counter(), options["budget_hours"] * 3600
    matrices = {linear: FeatureEncoder(specs, linear).transform(train_rows) for linear in (True, False)}
    kept = {k: options[k] for k in ("input_label_cols", "data_split_method", "data_split_eval_fraction",
                                    "data_split_col", "seed")}
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.create_study(direction="maximize" if maximize else "minimize",
                                sampler=optuna.samplers.TPESampler(seed=options["seed"]))
    for family in FAMILIES[task]:  # every family's defaults first
        study.enqueue_trial({"family": family})
    categorical = FeatureEncoder(specs, False).categorical_indices
    cost: dict[str, float] = {}  # seconds of the family's last cross-validation
    candidates: list[tuple[str, dict, float | None, str | None, dict | None]] = []
    while (left := SEARCH_SHARE * budget - (time.perf_counter() - started)) > 0 or not candidates:
        asked = study.ask()
        family = asked.suggest_categorical("family", FAMILIES[task])
        hyperparameters = {} if asked.number < len(FAMILIES[task]) else _propose(asked, family)
        if candidates and cost.get(family, 0.0) > left:  # it would not end in time
            study.tell(asked, state=optuna.trial.TrialState.PRUNED)
            if len(cost) == len(FAMILIES[task]) and min(cost.values()) > left:
                break
            continue
        trainer = TRAINERS[family]
        family_options = {**MODEL_TYPE_DEFAULTS[family], "model_type": family, **kept, **hyperparameters}
        begun = time.perf_counter()
        try:
            score, means = _cross_validate(family, family_options, matrices[trainer.linear_encoding], y, n_classes,
                                           [] if trainer.linear_encoding else categorical, metric, options["seed"])
            study.tell(asked, score)
            candidates.append((family, hyperparameters, score, None, means))
        except Error as exc:
            study.tell(asked, state=optuna.trial.TrialState.FAIL)
            candidates.append((family, hyperparameters, None, str(exc), None))
        cost[family] = time.perf_counter() - begun
    scored = [(i, c) for i, c in enumerate(candidates) if c[2] is not None]
    if not scored:
        raise DataError(f"every AutoML candidate failed; the first: {candidates[0][3]}")
    best = min(scored, key=lambda ic: ((-1 if maximize else 1) * ic[1][2], ic[0]))[0]
    trials = [TrialRecord(i + 1, {"model_type": family, **hyper}, means, score,
                          "SUCCEEDED" if score is not None else "FAILED", error, i == best, None, None)
              for i, (family, hyper, score, error, means) in enumerate(candidates)]
    family, hyperparameters = candidates[best][:2]
    return family, {**MODEL_TYPE_DEFAULTS[family], "model_type": family, **kept, **hyperparameters}, trials

"""automl_classifier / automl_regressor: a search over model families and their hyperparameters.

Candidates are the families of the task with an AutoML proposal (`Family.propose`: boosted tree, linear
(logistic_reg / linear_reg), random forest and DNN models), in the registry's order. Each family's
defaults are tried first (the first family, the boosted tree, first of all), then optuna's TPE sampler proposes
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

from sqlml.engine import metrics
from sqlml.engine.data.features import FeatureEncoder
from sqlml.engine.families import FAMILIES, Family, TrainData
from sqlml.engine.store.trials import TrialRecord
from sqlml.errors import DataError, Error, ProgrammingError

# optimization_objective -> (ML.EVALUATE metric, maximize?)
OBJECTIVES = {
    "MAXIMIZE_AU_ROC": ("roc_auc", True),
    "MINIMIZE_LOG_LOSS": ("log_loss", False),
    "MAXIMIZE_ACCURACY": ("accuracy", True),
    "MAXIMIZE_F1_SCORE": ("f1_score", True),
    "MINIMIZE_RMSE": ("root_mean_squared_error", False),
    "MINIMIZE_MAE": ("mean_absolute_error", False),
    "MAXIMIZE_R2_SCORE": ("r2_score", True),
}
DEFAULT_OBJECTIVES = {"classification": "MAXIMIZE_AU_ROC", "regression": "MINIMIZE_RMSE"}
TASK_METRICS = {
    "classification": metrics.CLASSIFICATION_METRICS,
    "regression": (*metrics.REGRESSION_METRICS, "root_mean_squared_error"),
}
FOLDS = 3
SEARCH_SHARE = 0.8  # of the budget; the rest is for training the winner


def candidates(task: str) -> list[Family]:
    """The families AutoML searches for `task`, in the registry's order."""
    return [family for family in FAMILIES.values() if family.propose is not None and family.task == task]


def _options(family: Family, kept: dict, hyperparameters: dict) -> dict:
    """A candidate's complete options: its family's defaults, the AutoML model's data split, the proposal."""
    return {**family.defaults(), "model_type": family.model_type, **kept, **hyperparameters}


def _cross_validate(
    family: Family,
    options: dict,
    X: np.ndarray,
    y: np.ndarray,
    n_classes: int,
    categorical: list[int],
    metric: str,
    seed: int,
) -> tuple[float, dict]:
    """The mean `metric` of `family` with `options` over FOLDS folds of the training rows, and the mean
    of every ML.EVALUATE metric (a fold where one is undefined leaves it out)."""
    from sklearn.model_selection import KFold, StratifiedKFold

    splitter = (
        StratifiedKFold(FOLDS, shuffle=True, random_state=seed)
        if n_classes
        else KFold(FOLDS, shuffle=True, random_state=seed)
    )
    folds = []
    for fit_rows, held_out in splitter.split(X, y):
        estimator = family.fit(
            TrainData(
                X=X[fit_rows], y=y[fit_rows], options=options, n_classes=n_classes, categorical_indices=categorical
            )
        )
        row = metrics.compute(family.task, y[held_out], estimator.predict(X[held_out]))
        if not n_classes:
            row["root_mean_squared_error"] = float(np.sqrt(row["mean_squared_error"]))
        if row[metric] is None:
            raise DataError(f"{metric} is undefined on a cross-validation fold")
        folds.append(row)
    means = {
        k: float(np.mean([f[k] for f in folds if f[k] is not None])) if any(f[k] is not None for f in folds) else None
        for k in folds[0]
    }
    return means[metric], means


def search(options: dict, specs: list[dict], train_rows, y: np.ndarray, n_classes: int) -> tuple[str, dict, list]:
    """(winning model_type, its complete options, the candidates as TrialRecords) for automl `options`."""
    import optuna

    task = FAMILIES[options["model_type"]].task
    objective = options["optimization_objective"] or DEFAULT_OBJECTIVES[task]
    metric, maximize = OBJECTIVES[objective]
    if metric not in TASK_METRICS[task]:
        raise ProgrammingError(f"OPTIONS: optimization_objective {objective} does not apply to {options['model_type']}")
    if n_classes and np.bincount(y, minlength=n_classes).min() < FOLDS:
        raise DataError(
            f"AutoML cross-validates with {FOLDS} folds, so every class needs at least {FOLDS} training "
            f"rows; the smallest class has {np.bincount(y, minlength=n_classes).min()}"
        )
    started, budget = time.perf_counter(), options["budget_hours"] * 3600
    matrices = {linear: FeatureEncoder(specs, linear).transform(train_rows) for linear in (True, False)}
    split = ("data_split_method", "data_split_eval_fraction", "data_split_test_fraction", "data_split_col")
    kept = {k: options[k] for k in ("input_label_cols", *split, "seed")}
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.create_study(
        direction="maximize" if maximize else "minimize", sampler=optuna.samplers.TPESampler(seed=options["seed"])
    )
    families = {family.model_type: family for family in candidates(task)}
    for name in families:  # every family's defaults first
        study.enqueue_trial({"family": name})
    categorical = FeatureEncoder(specs, False).categorical_indices
    cost: dict[str, float] = {}  # seconds of the family's last cross-validation
    tried: list[tuple[str, dict, float | None, str | None, dict | None]] = []
    while (left := SEARCH_SHARE * budget - (time.perf_counter() - started)) > 0 or not tried:
        asked = study.ask()
        name = asked.suggest_categorical("family", list(families))
        family = families[name]
        hyperparameters = {} if asked.number < len(families) else family.propose(asked)
        if tried and cost.get(name, 0.0) > left:  # it would not end in time
            study.tell(asked, state=optuna.trial.TrialState.PRUNED)
            if len(cost) == len(families) and min(cost.values()) > left:
                break
            continue
        begun = time.perf_counter()
        try:
            score, means = _cross_validate(
                family,
                _options(family, kept, hyperparameters),
                matrices[family.linear_encoding],
                y,
                n_classes,
                [] if family.linear_encoding else categorical,
                metric,
                options["seed"],
            )
            study.tell(asked, score)
            tried.append((name, hyperparameters, score, None, means))
        except Error as exc:
            study.tell(asked, state=optuna.trial.TrialState.FAIL)
            tried.append((name, hyperparameters, None, str(exc), None))
        cost[name] = time.perf_counter() - begun
    scored = [(i, c) for i, c in enumerate(tried) if c[2] is not None]
    if not scored:
        raise DataError(f"every AutoML candidate failed; the first: {tried[0][3]}")
    best = min(scored, key=lambda ic: ((-1 if maximize else 1) * ic[1][2], ic[0]))[0]
    trials = [
        TrialRecord(
            i + 1,
            {"model_type": name, **hyper},
            means,
            score,
            "SUCCEEDED" if score is not None else "FAILED",
            error,
            i == best,
            None,
            None,
        )
        for i, (name, hyper, score, error, means) in enumerate(tried)
    ]
    name, hyperparameters = tried[best][:2]
    return name, _options(families[name], kept, hyperparameters), trials

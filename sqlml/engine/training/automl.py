"""automl_classifier / automl_regressor: a search over model families and their hyperparameters.

Candidates are the families of the task with an AutoML proposal (`Family.propose`: boosted tree, linear
(logistic_reg / linear_reg), random forest and DNN models), in the registry's order. Each family's
defaults are tried first (the first family, the boosted tree, first of all), then optuna's TPE sampler proposes
families and hyperparameters. A candidate is scored by 3-fold cross-validation on the training split
(stratified for classifiers) with optimization_objective (MINIMIZE_RMSE: the root mean squared error);
its metrics averaged over the folds are the trial's. Every class needs FOLDS training rows; a candidate
whose metric is undefined on a fold fails and the search goes on. A candidate is launched only if, by its family's
last cross-validation time, it would end before 80% of budget_hours (counted from the search's start; a family none
of whose candidates has finished yet is launched), so the final training of the best candidate on the whole training
split fits in the budget. In this process candidates run one at a time; on a session's cluster
(sqlml/cluster/automl.py) as many at once as it has workers, the sampler's proposals still asked in trial order. The version keeps every
candidate as a trial (ML.TRIAL_INFO: model_type and hyperparameters, cross-validated objective) and the
winner's model (`estimator_type`).
"""

from __future__ import annotations

import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from contextlib import nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sqlml.engine import metrics
from sqlml.engine.data.features import FeatureEncoder
from sqlml.engine.families import FAMILIES, Family, TrainData
from sqlml.engine.progress import Progress
from sqlml.engine.store.trials import TrialRecord
from sqlml.errors import Cancelled, DataError, Error, ProgrammingError

if TYPE_CHECKING:
    from sqlml.engine.compute import Cluster

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


def cross_validate(family: Family, options: dict, rows: dict, metric: str, seed: int) -> tuple[float, dict]:
    """The mean `metric` of `family` with `options` over FOLDS folds of the training `rows` (`search`'s encoded
    rows), and the mean of every ML.EVALUATE metric (a fold where one is undefined leaves it out)."""
    from sklearn.model_selection import KFold, StratifiedKFold

    X, y, n_classes = rows["matrices"][family.linear_encoding], rows["y"], rows["n_classes"]
    categorical = [] if family.linear_encoding else rows["categorical"]
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


@dataclass
class Candidate:
    """A launched candidate: its family and proposal, and once cross-validated, its objective and mean metrics
    (or its error) and, on a cluster, where and when it ran."""

    model_type: str
    hyperparameters: dict
    score: float | None = None
    error: str | None = None
    means: dict | None = None
    ran: dict | None = None


def search(
    options: dict,
    specs: list[dict],
    train_rows,
    y: np.ndarray,
    n_classes: int,
    cluster: Cluster | None = None,
    progress: Progress | None = None,
) -> tuple[str, dict, list, list | None]:
    """(winning model_type, its complete options, the candidates as TrialRecords, where each candidate ran (None
    without a cluster)) for automl `options`; the candidates cross-validated on `cluster`'s workers, as many at once
    as it has workers, when given (cancelled with `progress`), else one at a time here."""
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
    rows = {
        "matrices": {linear: FeatureEncoder(specs, linear).transform(train_rows) for linear in (True, False)},
        "y": y,
        "n_classes": n_classes,
        "categorical": FeatureEncoder(specs, False).categorical_indices,
    }
    split = ("data_split_method", "data_split_eval_fraction", "data_split_test_fraction", "data_split_col")
    kept = {k: options[k] for k in ("input_label_cols", *split, "seed")}

    def here(model_type: str, candidate: dict, metric: str, seed: int) -> tuple:
        return *cross_validate(FAMILIES[model_type], candidate, rows, metric, seed), None

    progress = progress or Progress()
    with cluster.candidates(rows, progress.silent()) if cluster else nullcontext(here) as run:
        tried = _launch(options, task, kept, metric, maximize, run, max(cluster.workers, 1) if cluster else 1, progress)
    scored = [(i, c) for i, c in enumerate(tried) if c.score is not None]
    if not scored:
        raise DataError(f"every AutoML candidate failed; the first: {tried[0].error}")
    best = min(scored, key=lambda ic: ((-1 if maximize else 1) * ic[1].score, ic[0]))[0]
    trials = [
        TrialRecord(
            i + 1,
            {"model_type": c.model_type, **c.hyperparameters},
            c.means,
            c.score,
            "SUCCEEDED" if c.score is not None else "FAILED",
            c.error,
            i == best,
            None,
            None,
        )
        for i, c in enumerate(tried)
    ]
    ran = [{"trial_id": i + 1, **c.ran} for i, c in enumerate(tried) if c.ran]
    winner = tried[best]
    return winner.model_type, _options(FAMILIES[winner.model_type], kept, winner.hyperparameters), trials, ran or None


def _launch(
    options: dict, task: str, kept: dict, metric: str, maximize: bool, run, parallel: int, progress: Progress
) -> list[Candidate]:
    """The candidates launched, in trial order: each family's defaults first, then the sampler's proposals, asked
    on this thread as slots free up (at most `parallel` in flight). A candidate is launched only if, by its family's
    last cross-validation time, it would end before SEARCH_SHARE of the budget (a family none of whose candidates
    has finished yet is launched); launching stops once no family would."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.create_study(
        direction="maximize" if maximize else "minimize", sampler=optuna.samplers.TPESampler(seed=options["seed"])
    )
    families = {family.model_type: family for family in candidates(task)}
    for name in families:  # every family's defaults first
        study.enqueue_trial({"family": name})
    started, deadline = time.perf_counter(), SEARCH_SHARE * options["budget_hours"] * 3600
    cost: dict[str, float] = {}  # seconds of the family's last cross-validation
    tried: list[Candidate] = []
    running: dict = {}  # future -> (candidate, optuna trial, launched at)
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        try:
            launching = True
            while launching or running:
                while launching and len(running) < parallel:
                    left = deadline - (time.perf_counter() - started)
                    if tried and left <= 0:
                        launching = False
                        break
                    asked = study.ask()
                    name = asked.suggest_categorical("family", list(families))
                    family = families[name]
                    hyperparameters = {} if asked.number < len(families) else family.propose(asked)
                    if tried and cost.get(name, 0.0) > left:  # it would not end in time
                        study.tell(asked, state=optuna.trial.TrialState.PRUNED)
                        launching = not (len(cost) == len(families) and min(cost.values()) > left)
                        continue
                    tried.append(Candidate(name, hyperparameters))
                    remote = pool.submit(run, name, _options(family, kept, hyperparameters), metric, options["seed"])
                    running[remote] = (tried[-1], asked, time.perf_counter())
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for remote in done:
                    candidate, asked, launched = running.pop(remote)
                    try:
                        candidate.score, candidate.means, candidate.ran = remote.result()
                        study.tell(asked, candidate.score)
                    except Cancelled:
                        raise
                    except Error as exc:
                        study.tell(asked, state=optuna.trial.TrialState.FAIL)
                        candidate.error = str(exc)
                    cost[candidate.model_type] = time.perf_counter() - launched
        except BaseException:
            progress.cancel()  # stops the candidates still running on the workers
            raise
    return tried

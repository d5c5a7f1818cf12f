"""Hyperparameter tuning: num_trials trainings over OPTIONS' search spaces, searched by optuna.

Search spaces are HPARAM_RANGE(min, max) and HPARAM_CANDIDATES([...]) option values; with num_trials > 1
and none given, the family's default search_space is searched. hparam_tuning_algorithm VIZIER_DEFAULT is
optuna's TPE sampler (a Bayesian search), RANDOM_SEARCH its random sampler; GRID_SEARCH runs the
combinations of candidates and integer ranges in order (at most the grid's size of trials). Every trial is scored on the
evaluation split with hparam_tuning_objectives (default: roc_auc for classifiers, r2_score for regressors,
davies_bouldin_index for kmeans, mean_squared_error for EXPLICIT matrix factorization, mean_average_precision
for IMPLICIT); the best succeeded trial (the lowest trial_id among equals) is optimal.
A trial whose options are invalid or whose training fails is recorded as FAILED with its error.
Each finished trial is reported to the statement's progress; an interrupted search cancels the trials
still running (they stop at their next progress report). The `train` given decides where a trial trains: in the
thread that runs it, or on a cluster's worker that thread waits for (sqlml/cluster/tuning.py).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlml.engine.families import FAMILIES
from sqlml.engine.families.matrix_factorization import IMPLICIT_METRICS
from sqlml.engine.families.options import Option, search_spaces
from sqlml.engine.metrics import AUTOENCODER_METRICS, CLASSIFICATION_METRICS, CLUSTERING_METRICS, REGRESSION_METRICS
from sqlml.engine.progress import Progress
from sqlml.errors import Cancelled, DataError, Error, ProgrammingError

if TYPE_CHECKING:
    import optuna

DEFAULT_OBJECTIVES = {
    "classification": "roc_auc",
    "regression": "r2_score",
    "clustering": "davies_bouldin_index",
    "autoencoder": "mean_squared_error",
    "recommendation (EXPLICIT)": "mean_squared_error",
    "recommendation (IMPLICIT)": "mean_average_precision",
}
OBJECTIVES = {
    "classification": CLASSIFICATION_METRICS,
    "regression": REGRESSION_METRICS,
    "clustering": CLUSTERING_METRICS,
    "autoencoder": AUTOENCODER_METRICS,
    "recommendation (EXPLICIT)": ("mean_squared_error",),  # the only objective BigQuery ML lists for EXPLICIT
    "recommendation (IMPLICIT)": IMPLICIT_METRICS,
}
MAXIMIZED = {"precision", "recall", "accuracy", "f1_score", "roc_auc", "r2_score", "explained_variance"}
MAXIMIZED |= {"mean_average_precision", "normalized_discounted_cumulative_gain"}


@dataclass
class Trial:
    """One trial: its hyperparameters and, if it succeeded, its estimator, metrics and objective."""

    trial_id: int
    hyperparameters: dict[str, Any]
    result: tuple | None = None  # what `train` returned
    objective: float | None = None
    error: str | None = None


def objective_name(options: dict, task: str) -> str:
    """The metric trials are compared by; ProgrammingError if the task does not report it."""
    if task == "recommendation":  # matrix factorization: its metrics depend on the feedback type
        task = f"recommendation ({options['feedback_type']})"
    chosen = options["hparam_tuning_objectives"]
    name = chosen[0] if chosen else DEFAULT_OBJECTIVES[task]
    if name not in OBJECTIVES[task]:
        raise ProgrammingError(
            f"OPTIONS: hparam_tuning_objectives {name!r} is not a {task} metric; choose one "
            f"of {', '.join(OBJECTIVES[task])}"
        )
    return name


def _grid(spaces: dict[str, dict], specs: dict[str, Option]) -> list[dict]:
    """GRID_SEARCH: every combination of the candidates and integer ranges, in order."""
    values = {}
    for name, space in spaces.items():
        if "hparam_candidates" in space:
            values[name] = space["hparam_candidates"]
        elif specs[name].kind == "int":
            values[name] = list(range(space["hparam_range"][0], space["hparam_range"][1] + 1))
        else:
            raise ProgrammingError(
                f"OPTIONS: GRID_SEARCH needs HPARAM_CANDIDATES for {name} (a float range has no grid)"
            )
    return [dict(zip(values, combination)) for combination in itertools.product(*values.values())]


def _suggest(trial: optuna.Trial, name: str, space: dict, spec: Option):
    if "hparam_candidates" in space:  # by index: candidates may be lists (hidden_units)
        candidates = space["hparam_candidates"]
        return candidates[trial.suggest_categorical(name, list(range(len(candidates))))]
    low, high = space["hparam_range"]
    if spec.kind == "int":
        return trial.suggest_int(name, low, high)
    return trial.suggest_float(name, low, high, log=space.get("scale") == "LOG")


def run_trials(
    options: dict,
    task: str,
    train: Callable[[dict], tuple],
    progress: Progress | None = None,
    default_space: dict[str, dict] | None = None,
) -> tuple[list[Trial], str]:
    """Run the trials, max_parallel_trials at a time; `train(options)` returns (estimator, metrics, ...)
    for concrete options; with no search space in `options`, `default_space` (None: the family's) is searched. Hyperparameters are drawn in trial order on this thread, so RANDOM_SEARCH and
    GRID_SEARCH repeat exactly for a seed; the Bayesian search, which learns from finished trials, repeats
    exactly when trials run one at a time. Returns every trial (in trial_id order) and the objective."""
    import optuna

    family = FAMILIES[options["model_type"]]
    spaces = search_spaces(options) or default_space or family.search_space
    objective = objective_name(options, task)
    algorithm, n_trials = options["hparam_tuning_algorithm"], options["num_trials"]
    grid = _grid(spaces, family.options)[:n_trials] if algorithm == "GRID_SEARCH" else None
    n_trials = len(grid) if grid is not None else n_trials
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    sampler = (
        optuna.samplers.TPESampler(seed=options["seed"])
        if algorithm == "VIZIER_DEFAULT"
        else optuna.samplers.RandomSampler(seed=options["seed"])
    )
    study = optuna.create_study(direction="maximize" if objective in MAXIMIZED else "minimize", sampler=sampler)

    def run(record: Trial) -> Trial:
        try:
            concrete = {**options, **record.hyperparameters}
            family.check(concrete)
            result = train(concrete)
            if result[1][objective] is None:
                raise DataError(f"the objective {objective} is undefined on the evaluation rows")
            record.result, record.objective = result, result[1][objective]
        except Cancelled:
            raise
        except Error as exc:  # the trial fails; the search goes on
            record.error = str(exc)
        return record

    progress = progress or Progress()
    trials: list[Trial] = []
    with ThreadPoolExecutor(max_workers=options["max_parallel_trials"]) as pool:
        running: dict = {}
        try:
            while len(trials) < n_trials or running:
                while len(trials) < n_trials and len(running) < options["max_parallel_trials"]:
                    asked = None if grid else study.ask()
                    chosen = (
                        grid[len(trials)]
                        if grid
                        else {
                            name: _suggest(asked, name, space, family.options[name]) for name, space in spaces.items()
                        }
                    )
                    trials.append(Trial(len(trials) + 1, chosen))
                    running[pool.submit(run, trials[-1])] = asked
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    record, asked = future.result(), running.pop(future)
                    if asked is not None:  # the searches learn from every finished trial
                        study.tell(
                            asked,
                            record.objective if record.result else None,
                            state=None if record.result else optuna.trial.TrialState.FAIL,
                        )
                    progress("tuning", len(trials) - len(running), n_trials)
        except BaseException:
            progress.cancel()
            raise
    if not any(t.result for t in trials):
        raise DataError(f"all {len(trials)} tuning trials failed; the first: {trials[0].error}")
    return trials, objective


def optimal(trials: list[Trial], objective: str) -> Trial:
    """The best succeeded trial; the lowest trial_id among equals."""
    sign = -1 if objective in MAXIMIZED else 1
    return min((t for t in trials if t.result), key=lambda t: (sign * t.objective, t.trial_id))

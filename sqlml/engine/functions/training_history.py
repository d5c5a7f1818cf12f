"""What training a model did, read from the catalog; each handler returns SQL that DuckDB runs.

ML.TRIAL_INFO(MODEL m): the hyperparameter tuning trials, as BigQuery ML's columns (trial_id from 1,
hyperparameters, hparam_tuning_evaluation_metrics, training_loss, eval_loss, status, error_message,
is_optimal). ML.TRAINING_INFO(MODEL m): every iteration of every training run (warm_start adds runs).
ML.VERSIONS(MODEL m): every version, its lineage (training SQL, data fingerprint, rows) and metrics, and
which one is active.
"""

from __future__ import annotations

from sqlml.engine.context import MLContext
from sqlml.engine.store import catalog, trials
from sqlml.engine.store.model import Model
from sqlml.engine.training.tuning import objective_name
from sqlml.errors import ProgrammingError
from sqlml.parser import MLFunction


def trial_info(ctx: MLContext, call: MLFunction, model: Model, params: dict) -> str:
    version = model.version
    if not trials.has_trials(ctx.cur, version):
        raise ProgrammingError(
            f"model {version.qualified_name} version {version.version} was not tuned "
            "(OPTIONS num_trials > 1 tunes it; AutoML models list their candidates)"
        )
    # hparam_tuning_evaluation_metrics: the objective's, as BigQuery ML; AutoML's candidates keep every metric
    objectives = [objective_name(version.options, model.task)] if version.tuned else None
    return trials.trial_info_sql(ctx.cur, version, objectives)


def training_info(ctx: MLContext, call: MLFunction, model: Model, params: dict) -> str:
    return trials.training_info_sql(model.version)


def versions(ctx: MLContext, call: MLFunction, model: Model, params: dict) -> str:
    version = model.version
    return catalog.versions_sql(version.schema_name, version.model_name)

"""ML functions that show what a model holds; each handler returns SQL that DuckDB runs.

ML.TRANSFORM(MODEL m, TABLE t | (query)): the features a model's TRANSFORM clause makes of the rows given,
with the statistics learned at training. ML.TRIAL_INFO(MODEL m): the hyperparameter tuning trials.
ML.TRAINING_INFO(MODEL m): every iteration of every training run (warm_start adds runs).
"""

from __future__ import annotations

from sqlml.engine import catalog
from sqlml.engine.context import MLContext, calls_ml
from sqlml.errors import ProgrammingError
from sqlml.parser import MLFunction


def ml_transform(ctx: MLContext, call: MLFunction) -> str:
    ctx.params(call, {})
    model = ctx.model(call)
    if model.transform is None:
        raise ProgrammingError(f"model {model.version.qualified_name} has no TRANSFORM clause; ML.TRANSFORM "
                               "applies to models created with CREATE MODEL ... TRANSFORM(...)")
    query = ctx.input_query(call)
    return model.transform.select(query, None if calls_ml(query) else ctx.cur.sql(query).columns)


def trial_info(ctx: MLContext, call: MLFunction) -> str:
    ctx.params(call, {})
    if call.input_sql is not None:
        raise ProgrammingError("ML.TRIAL_INFO takes a model only: ML.TRIAL_INFO(MODEL m)")
    version = ctx.model(call).version
    if not catalog.has_trials(ctx.cur, version):
        raise ProgrammingError(f"model {version.qualified_name} version {version.version} was not tuned "
                               "(OPTIONS num_trials > 1 tunes it; AutoML models list their candidates)")
    return catalog.trial_info_sql(version)


def training_info(ctx: MLContext, call: MLFunction) -> str:
    ctx.params(call, {})
    if call.input_sql is not None:
        raise ProgrammingError("ML.TRAINING_INFO takes a model only: ML.TRAINING_INFO(MODEL m)")
    return catalog.training_info_sql(ctx.model(call).version)

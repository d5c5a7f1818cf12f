"""What training a model did, read from the catalog; each handler returns SQL that DuckDB runs.

ML.TRIAL_INFO(MODEL m): the hyperparameter tuning trials. ML.TRAINING_INFO(MODEL m): every iteration of every
training run (warm_start adds runs). ML.VERSIONS(MODEL m): every version, its lineage (training SQL, data
fingerprint, rows) and metrics, and which one is active.
"""

from __future__ import annotations

from sqlml.engine.context import MLContext
from sqlml.engine.store import catalog
from sqlml.errors import ProgrammingError
from sqlml.parser import MLFunction


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


def versions(ctx: MLContext, call: MLFunction) -> str:
    ctx.params(call, {})
    if call.input_sql is not None or call.model_version is not None:
        raise ProgrammingError("ML.VERSIONS takes a model only: ML.VERSIONS(MODEL m)")
    version = ctx.model(call).version
    return catalog.versions_sql(version.schema_name, version.model_name)

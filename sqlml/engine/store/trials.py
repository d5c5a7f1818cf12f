"""A version's training history in the catalog: its hyperparameter tuning trials (sqlml.model_trials: one
TrialRecord each, loaded as the version they left) and the iterations of its training runs (ML.TRAINING_INFO)."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

import duckdb

from sqlml.engine.sqltext.quoting import literal
from sqlml.engine.store.catalog import MODEL_KEY, ModelVersion, fetch_row, query
from sqlml.errors import ProgrammingError


@dataclass
class TrialRecord:
    """One row of sqlml.model_trials: a hyperparameter tuning trial of a version."""

    trial_id: int
    hyperparameters: dict[str, Any]
    metrics: dict[str, Any] | None
    objective: float | None
    status: str  # SUCCEEDED or FAILED
    error_message: str | None
    is_optimal: bool
    artifact: bytes | None
    eval_predictions: bytes | None
    training_loss: float | None = None  # the last iteration's losses (ML.TRIAL_INFO); None for AutoML's candidates
    eval_loss: float | None = None


def load_trial(cur: duckdb.DuckDBPyConnection, version: ModelVersion, trial_id: int) -> ModelVersion:
    """`version` as its tuning trial `trial_id` left it: that trial's artifact, metrics and evaluation
    predictions; ProgrammingError for a trial that does not exist or failed."""
    trial = fetch_row(
        cur,
        f"SELECT * FROM sqlml.model_trials WHERE {MODEL_KEY} AND version = ? AND trial_id = ?",
        [version.schema_name, version.model_name, version.version, trial_id],
    )
    name = f"model {version.qualified_name} version {version.version}"
    if trial is None:
        raise ProgrammingError(_no_trial(cur, version, name, trial_id))
    status, artifact, metrics, is_optimal = trial["status"], trial["artifact"], trial["metrics"], trial["is_optimal"]
    if artifact is None and is_optimal:  # AutoML's winner: the version's own model
        return version
    if status != "SUCCEEDED":
        raise ProgrammingError(f"trial {trial_id} of {name} failed; it has no model (see ML.TRIAL_INFO)")
    if artifact is None:
        raise ProgrammingError(
            f"trial {trial_id} of {name} has no model of its own: AutoML trains only its "
            "optimal candidate on all the training rows"
        )
    return replace(
        version,
        artifact=artifact,
        metrics=json.loads(metrics),
        eval_predictions=trial["eval_predictions"],
        artifact_sha256=trial.get("artifact_sha256"),
    )


def _no_trial(cur: duckdb.DuckDBPyConnection, version: ModelVersion, name: str, trial_id: int) -> str:
    """Why `version` has no trial `trial_id`: it was not tuned, or the trial ids it has."""
    ids = [
        row[0]
        for row in query(
            cur,
            f"SELECT trial_id FROM sqlml.model_trials WHERE {MODEL_KEY} AND version = ? ORDER BY trial_id",
            [version.schema_name, version.model_name, version.version],
        )
    ]
    if not ids:
        return (
            f"trial_id {trial_id}: {name} was not trained with hyperparameter tuning (num_trials > 1), "
            "so it has no trials to choose from; leave trial_id out"
        )
    return f"{name} has no trial {trial_id}; its trial ids are {', '.join(map(str, ids))} (see ML.TRIAL_INFO)"


_TRAINING_INFO = {
    "training_run": "BIGINT",
    "iteration": "BIGINT",
    "loss": "DOUBLE",
    "eval_loss": "DOUBLE",
    "learning_rate": "DOUBLE",
    "duration_ms": "BIGINT",
}


def training_info_sql(version: ModelVersion) -> str:
    """ML.TRAINING_INFO: one row per iteration of every training run of a version, as BigQuery ML's columns:
    kmeans has no eval_loss, and adds cluster_info (each cluster's centroid_id, radius and size after the
    iteration; NULL for a version stored before sqlml kept it)."""
    rows = dict(_TRAINING_INFO)
    if version.model_type == "kmeans":
        del rows["eval_loss"]
        rows["cluster_info"] = [{"centroid_id": "BIGINT", "cluster_radius": "DOUBLE", "cluster_size": "BIGINT"}]
    return (
        f"SELECT unnest(json_transform(training_info, {literal(json.dumps([rows]))}), max_depth := 2) "
        "FROM sqlml.model_versions WHERE schema_name = "
        + literal(version.schema_name)
        + " AND model_name = "
        + literal(version.model_name)
        + f" AND version = {int(version.version)}"
    )


def has_trials(cur: duckdb.DuckDBPyConnection, version: ModelVersion) -> bool:
    return (
        query(
            cur,
            f"SELECT count(*) FROM sqlml.model_trials WHERE {MODEL_KEY} AND version = ?",
            [version.schema_name, version.model_name, version.version],
        )[0][0]
        > 0
    )


def optimal_trial(cur: duckdb.DuckDBPyConnection, version: ModelVersion) -> int | None:
    """The trial_id of a tuned version's optimal trial; None for a version that was not tuned."""
    if not version.tuned:
        return None
    rows = query(
        cur,
        f"SELECT trial_id FROM sqlml.model_trials WHERE {MODEL_KEY} AND version = ? AND is_optimal",
        [version.schema_name, version.model_name, version.version],
    )
    return rows[0][0] if rows else None


def trial_info_sql(cur: duckdb.DuckDBPyConnection, version: ModelVersion, objectives: list[str] | None) -> str:
    """ML.TRIAL_INFO: the trials of a tuned version, one row each, as BigQuery ML's columns; hyperparameters and
    the metrics `objectives` names become STRUCTs of the fields the trials hold (a field a trial lacks: NULL).
    `objectives` None (AutoML's candidates, which BigQuery ML does not list): every metric, then sqlml's own
    column `objective`, the cross-validated score candidates were ranked by."""
    where = (
        f"WHERE schema_name = {literal(version.schema_name)} AND model_name = {literal(version.model_name)} "
        f"AND version = {int(version.version)}"
    )
    ((hyperparameters, metrics),) = query(
        cur,
        f"SELECT json_group_structure(hyperparameters), json_group_structure(metrics) FROM sqlml.model_trials {where}",
    )
    if objectives is not None:
        metrics = json.dumps(dict.fromkeys(objectives, "DOUBLE"))
    return (
        f"SELECT CAST(trial_id AS BIGINT) AS trial_id, {_as_struct('hyperparameters', hyperparameters, 'VARCHAR')} "
        f"AS hyperparameters, {_as_struct('metrics', metrics, 'DOUBLE')} AS hparam_tuning_evaluation_metrics, "
        f"training_loss, eval_loss, status, error_message, is_optimal{', objective' if objectives is None else ''} "
        f"FROM sqlml.model_trials {where} ORDER BY trial_id"
    )


def _as_struct(column: str, structure: str | None, untyped: str) -> str:
    """`column` (JSON) as the STRUCT `structure` (json_group_structure's) describes: integers as BIGINT, a field
    NULL in every trial as `untyped`."""
    if structure is None:
        return "NULL"
    structure = structure.replace('"UBIGINT"', '"BIGINT"').replace('"NULL"', f'"{untyped}"')
    return f"json_transform({column}, {literal(structure)})"

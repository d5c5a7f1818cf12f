"""The model catalog: models and their versions as rows in the `sqlml` schema of the user's database.

`sqlml.models` has one row per model (its active version); `sqlml.model_versions` one row per trained
version, holding everything needed to predict and to trace it: options, label, classes, feature specs
(with the learned preprocessing statistics), training SQL, row counts, data fingerprint, metrics, the
evaluation split's predictions, and the artifact bytes (JSON, LightGBM text or skops; never pickle) with
their SHA-256 checksum (`artifact_sha256`, engine/store/artifacts.py says what it covers), checked on load.
Writes go through `transaction`, so a failed CREATE/REPLACE/DROP leaves both tables as they were; each
also gives the catalog a new `generation`, by which connections cache what they read from it.
Model names compare case-insensitively, as DuckDB identifiers do.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import duckdb

from sqlml.engine.sqltext.quoting import literal
from sqlml.errors import ProgrammingError, TransactionConflict

if TYPE_CHECKING:
    from sqlml.engine.store.trials import TrialRecord

SCHEMA = "sqlml"  # the schema of the catalog's tables (the SQL below spells it out)

_TRIALS_DDL = """
CREATE TABLE IF NOT EXISTS sqlml.model_trials (
    schema_name VARCHAR NOT NULL, model_name VARCHAR NOT NULL, version INTEGER NOT NULL, trial_id INTEGER NOT NULL,
    hyperparameters JSON NOT NULL, metrics JSON, objective DOUBLE, status VARCHAR NOT NULL,
    error_message VARCHAR, is_optimal BOOLEAN NOT NULL, artifact BLOB, eval_predictions BLOB,
    artifact_sha256 VARCHAR, training_loss DOUBLE, eval_loss DOUBLE,
    PRIMARY KEY (schema_name, model_name, version, trial_id));
"""
_WRITES_DDL = "CREATE TABLE IF NOT EXISTS sqlml.catalog_writes (write_id BIGINT NOT NULL);"  # see `generation`

_DDL = (
    """
CREATE SCHEMA IF NOT EXISTS sqlml;
CREATE TABLE IF NOT EXISTS sqlml.models (
    schema_name VARCHAR NOT NULL, model_name VARCHAR NOT NULL, active_version INTEGER NOT NULL,
    created_at TIMESTAMPTZ NOT NULL, updated_at TIMESTAMPTZ NOT NULL, description VARCHAR, labels JSON,
    expiration_timestamp TIMESTAMPTZ, PRIMARY KEY (schema_name, model_name));
CREATE TABLE IF NOT EXISTS sqlml.model_versions (
    schema_name VARCHAR NOT NULL, model_name VARCHAR NOT NULL, version INTEGER NOT NULL,
    model_type VARCHAR NOT NULL, options JSON NOT NULL, label VARCHAR, label_type VARCHAR,
    classes JSON, features JSON NOT NULL, training_sql VARCHAR NOT NULL, training_rows BIGINT NOT NULL,
    eval_rows BIGINT NOT NULL, dropped_rows BIGINT NOT NULL, data_fingerprint VARCHAR NOT NULL,
    metrics JSON NOT NULL, eval_predictions BLOB NOT NULL, artifact_format VARCHAR NOT NULL,
    artifact BLOB NOT NULL, created_at TIMESTAMPTZ NOT NULL, transform JSON, training_info JSON,
    estimator_type VARCHAR, artifact_sha256 VARCHAR, compute JSON, PRIMARY KEY (schema_name, model_name, version));
"""
    + _TRIALS_DDL
    + _WRITES_DDL
)

_JSON_FIELDS = ("options", "classes", "features", "metrics", "transform", "training_info", "compute")
# what a catalog written by an older sqlml lacks (ensure adds it); versions stored before checksums keep
# artifact_sha256 NULL and load with the structural checks alone
_UPGRADE = (
    """
ALTER TABLE sqlml.model_versions ADD COLUMN IF NOT EXISTS transform JSON;
ALTER TABLE sqlml.model_versions ADD COLUMN IF NOT EXISTS training_info JSON;
ALTER TABLE sqlml.model_versions ADD COLUMN IF NOT EXISTS estimator_type VARCHAR;
ALTER TABLE sqlml.model_versions ADD COLUMN IF NOT EXISTS artifact_sha256 VARCHAR;
ALTER TABLE sqlml.model_versions ADD COLUMN IF NOT EXISTS compute JSON;
ALTER TABLE sqlml.model_versions ALTER label DROP NOT NULL;
ALTER TABLE sqlml.model_versions ALTER label_type DROP NOT NULL;
ALTER TABLE sqlml.models ADD COLUMN IF NOT EXISTS description VARCHAR;
ALTER TABLE sqlml.models ADD COLUMN IF NOT EXISTS labels JSON;
ALTER TABLE sqlml.models ADD COLUMN IF NOT EXISTS expiration_timestamp TIMESTAMPTZ;
"""
    + _TRIALS_DDL
    + """
ALTER TABLE sqlml.model_trials ADD COLUMN IF NOT EXISTS artifact_sha256 VARCHAR;
ALTER TABLE sqlml.model_trials ADD COLUMN IF NOT EXISTS training_loss DOUBLE;
ALTER TABLE sqlml.model_trials ADD COLUMN IF NOT EXISTS eval_loss DOUBLE;
"""
    + _WRITES_DDL
)


@dataclass
class ModelVersion:
    """One row of sqlml.model_versions, JSON columns decoded."""

    schema_name: str
    model_name: str
    version: int
    model_type: str
    options: dict[str, Any]
    label: str | None  # None for kmeans and pca
    label_type: str | None
    classes: list | None
    features: list[dict]
    training_sql: str
    training_rows: int
    eval_rows: int
    dropped_rows: int
    data_fingerprint: str
    metrics: dict[str, Any]
    eval_predictions: bytes
    artifact_format: str
    artifact: bytes
    created_at: Any = None
    transform: dict | None = None  # the fitted TRANSFORM clause (engine/data/transform.py), if any
    training_info: list[dict] | None = None  # ML.TRAINING_INFO's rows
    estimator_type: str | None = None  # the model_type of the artifact when it differs (AutoML's winner)
    artifact_sha256: str | None = None  # artifacts.checksum, set when stored; None: stored before checksums
    # where it trained (engine/compute.py): {"compute": "cluster", "scheduler": ..., "workers": n}, or "local"
    # with the reason when a cluster was asked for; None: in this process, none asked for
    compute: dict | None = None

    @property
    def tuned(self) -> bool:
        """Whether hyperparameter tuning (num_trials > 1) trained it; AutoML's candidates are trials too, but not
        BigQuery ML's tuning."""
        return self.options.get("num_trials", 1) > 1

    @property
    def qualified_name(self) -> str:
        return f"{self.schema_name}.{self.model_name}"


def query(cur: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[tuple]:
    """All rows of an internal query, read to the end (DuckDB refuses other work on an unfinished result)."""
    return cur.execute(sql, params).fetchall()


def has_table(cur: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Whether the catalog of the current database has `table`."""
    return (
        query(
            cur,
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'sqlml' AND table_name = ? "
            "AND database_name = current_database()",
            [table],
        )[0][0]
        == 1
    )


def exists(cur: duckdb.DuckDBPyConnection) -> bool:
    """Whether this database has a catalog yet (a read-only one may not)."""
    return has_table(cur, "model_versions")


def ensure(cur: duckdb.DuckDBPyConnection) -> None:
    """Create the catalog tables if they are missing; bring an older catalog up to date."""
    if not exists(cur):
        query(cur, _DDL)
    elif not (has_table(cur, "catalog_writes") and has_expiration(cur)):  # the newest table and column
        query(cur, _UPGRADE)


def has_expiration(cur: duckdb.DuckDBPyConnection) -> bool:
    """Whether the catalog has sqlml.models.expiration_timestamp (a catalog of an older sqlml gains it when
    next written)."""
    return (
        query(
            cur,
            "SELECT count(*) FROM duckdb_columns() WHERE schema_name = 'sqlml' AND table_name = 'models' "
            "AND column_name = 'expiration_timestamp' AND database_name = current_database()",
        )[0][0]
        == 1
    )


GENERATION_SQL = "SELECT current_schema(), bit_xor(write_id) FROM sqlml.catalog_writes"


def generation(cur: duckdb.DuckDBPyConnection) -> tuple:
    """What the catalog is to `cur`, in one tiny query: equal generations name the same models and versions.
    (The current schema, which unqualified model names resolve in, and the random ids of the catalog writes
    `cur` sees: its own uncommitted ones included, rolled-back ones never again.) Needs the catalog_writes
    table (`has_table`)."""
    return query(cur, GENERATION_SQL)[0]


def _new_generation(cur: duckdb.DuckDBPyConnection, alone: bool) -> None:
    """Record a catalog write: a new random id in sqlml.catalog_writes. A write of its own transaction
    (`alone`, serialized by _WRITER) replaces the ids it sees; one inside the user's transaction only adds
    its id, as deleting rows could conflict with another open transaction's catalog write."""
    if alone:
        query(cur, "DELETE FROM sqlml.catalog_writes")
    query(cur, "INSERT INTO sqlml.catalog_writes VALUES (?)", [secrets.randbits(63)])


def in_transaction(cur: duckdb.DuckDBPyConnection) -> bool:
    """Whether the user opened a transaction (BEGIN): then statements share one transaction id, where in
    auto-commit mode each gets a new one. (A failed BEGIN would abort the user's transaction.)"""
    return query(cur, "SELECT txid_current()") == query(cur, "SELECT txid_current()")


# One catalog writer at a time in this process (DuckDB lets one process write a file): DuckDB's optimistic
# transactions would otherwise fail concurrent writers (both creating the catalog, both taking version n + 1).
_WRITER = threading.Lock()
_CONFLICTS = ("write-write conflict", "Conflict on tuple deletion", "Duplicate key")


@contextmanager
def transaction(cur: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """One DuckDB transaction around a catalog write, serialized with this process's other catalog writes;
    inside the user's transaction, part of it (the user's COMMIT or ROLLBACK decides). A conflict with a
    concurrent transaction (possible only then) is a TransactionConflict: nothing was written, retry.
    The catalog exists (is brought up to date) inside, and gets a new `generation` once the write is done."""
    try:
        if in_transaction(cur):
            ensure(cur)
            yield
            _new_generation(cur, alone=False)
            return
        with _WRITER:
            cur.begin()
            try:
                ensure(cur)
                yield
                _new_generation(cur, alone=True)
            except BaseException:
                cur.rollback()
                raise
            cur.commit()
    except (duckdb.TransactionException, duckdb.ConstraintException) as exc:
        if not any(marker in str(exc) for marker in _CONFLICTS):
            raise
        raise TransactionConflict(
            "a concurrent transaction changed the model catalog first; this statement "
            f"changed nothing and can be retried ({str(exc).splitlines()[0]})"
        ) from None


def resolve_name(cur: duckdb.DuckDBPyConnection, name: tuple[str | None, str], new: bool = False) -> tuple[str, str]:
    """(schema, model) with the schema defaulting to DuckDB's current schema. The name must not be empty; a
    `new` model's schema must exist in the current database."""
    schema, model = name
    if not model:
        raise ProgrammingError("a model name cannot be empty")
    if (
        new
        and schema
        and not query(
            cur,
            "SELECT count(*) FROM duckdb_schemas() WHERE database_name = "
            "current_database() AND lower(schema_name) = lower(?)",
            [schema],
        )[0][0]
    ):
        raise ProgrammingError(
            f"schema {schema} does not exist (model {schema}.{model}); create it with CREATE "
            f"SCHEMA {schema}, or name a model of an existing schema"
        )
    return (schema or query(cur, "SELECT current_schema()")[0][0]), model


MODEL_KEY = "lower(schema_name) = lower(?) AND lower(model_name) = lower(?)"


def active_version(cur: duckdb.DuckDBPyConnection, schema: str, model: str) -> int | None:
    """The active version number of a model, or None if there is no such model."""
    if not exists(cur):
        return None
    rows = query(cur, f"SELECT active_version FROM sqlml.models WHERE {MODEL_KEY}", [schema, model])
    return rows[0][0] if rows else None


def live_version(cur: duckdb.DuckDBPyConnection, schema: str, model: str) -> int | None:
    """The active version of a model that has not expired, or None: CREATE MODEL takes an expired model for
    gone, as BigQuery ML deletes one."""
    if not exists(cur):
        return None
    unexpired = "coalesce(expiration_timestamp > now(), true)" if has_expiration(cur) else "true"
    rows = query(cur, f"SELECT active_version FROM sqlml.models WHERE {MODEL_KEY} AND {unexpired}", [schema, model])
    return rows[0][0] if rows else None


def locate(
    cur: duckdb.DuckDBPyConnection,
    name: tuple[str | None, str],
    version: int | None = None,
    checksum: bool = True,
    expiration: bool = True,
) -> tuple[str, str, int, tuple, int | None]:
    """(schema, model, version, identity, expiration) of a model's version (the active one by default), in one
    query; `identity` (the model's creation time in microseconds and, with `checksum`, the version's checksum,
    which a catalog older than checksums lacks) tells a re-created model's versions from the dropped one's,
    even in one transaction (where now() repeats); `expiration` the model's expiration_timestamp in Unix
    microseconds (None: none, or a catalog older than expirations, read without `expiration`).
    ProgrammingError naming the model if absent. Needs the catalog to exist."""
    schema, model = name
    version_checksum = "v.artifact_sha256" if checksum else "NULL"
    expires = "epoch_us(m.expiration_timestamp)" if expiration else "NULL"
    rows = query(
        cur,
        f"SELECT m.schema_name, m.model_name, m.active_version, epoch_us(m.created_at), {version_checksum}, {expires} "
        "FROM sqlml.models m LEFT JOIN sqlml.model_versions v ON v.schema_name = m.schema_name AND "
        "v.model_name = m.model_name AND v.version = coalesce(?, m.active_version) "
        "WHERE lower(m.schema_name) = lower(coalesce(?, current_schema())) AND lower(m.model_name) = lower(?)",
        [version, schema, model],
    )
    if not rows:
        shown = f"{schema}.{model}" if schema else query(cur, "SELECT current_schema()")[0][0] + f".{model}"
        raise ProgrammingError(f"model {shown} does not exist")
    found_schema, found_model, active, created, sha256, expires = rows[0]
    return found_schema, found_model, active if version is None else version, (created, sha256), expires


def fetch_row(cur: duckdb.DuckDBPyConnection, sql: str, params: list) -> dict | None:
    """The first row of a `SELECT *` as column -> value (columns an older catalog lacks are absent)."""
    cursor = cur.execute(sql, params)
    rows = cursor.fetchall()
    return dict(zip([d[0] for d in cursor.description], rows[0])) if rows else None


def load(cur: duckdb.DuckDBPyConnection, schema: str, model: str, version: int) -> ModelVersion:
    """One version of a model, as `locate` found it; ProgrammingError if it has no such version."""
    record = fetch_row(
        cur, f"SELECT * FROM sqlml.model_versions WHERE {MODEL_KEY} AND version = ?", [schema, model, version]
    )
    if record is None:
        raise ProgrammingError(f"model {schema}.{model} has no version {version}")
    for field in _JSON_FIELDS:
        record[field] = json.loads(record[field]) if record[field] is not None else None
    return ModelVersion(**record)


def insert_version(cur: duckdb.DuckDBPyConnection, record: ModelVersion, trials: list[TrialRecord] = ()) -> int:
    """Add `record` (and its tuning `trials`) as the model's next version and make it active; returns the
    version number. Call inside `transaction`."""
    from sqlml.engine.store import artifacts  # numpy: not needed to read the catalog

    spelled = query(
        cur,
        f"SELECT schema_name, model_name FROM sqlml.models WHERE {MODEL_KEY}",
        [record.schema_name, record.model_name],
    )
    if spelled:  # a replace keeps the model's first spelling, whatever case this statement used
        record.schema_name, record.model_name = spelled[0]
    schema, model = record.schema_name, record.model_name
    ((latest,),) = query(
        cur, f"SELECT coalesce(max(version), 0) FROM sqlml.model_versions WHERE {MODEL_KEY}", [schema, model]
    )
    record.version = latest + 1
    record.artifact_sha256 = artifacts.checksum(record)
    values = {
        k: (json.dumps(v) if k in _JSON_FIELDS and v is not None else v)
        for k, v in record.__dict__.items()
        if k != "created_at"
    }
    columns = ", ".join(values)
    query(
        cur,
        f"INSERT INTO sqlml.model_versions ({columns}, created_at) VALUES ({', '.join('?' * len(values))}, now())",
        list(values.values()),
    )
    for trial in trials:  # a trial's checksum: the version's, with the trial's own artifact
        query(
            cur,
            "INSERT INTO sqlml.model_trials (schema_name, model_name, version, trial_id, hyperparameters, "
            "metrics, objective, status, error_message, is_optimal, artifact, eval_predictions, "
            "artifact_sha256, training_loss, eval_loss) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                schema,
                model,
                record.version,
                trial.trial_id,
                json.dumps(trial.hyperparameters),
                None if trial.metrics is None else json.dumps(trial.metrics),
                trial.objective,
                trial.status,
                trial.error_message,
                trial.is_optimal,
                trial.artifact,
                trial.eval_predictions,
                None if trial.artifact is None else artifacts.checksum(replace(record, artifact=trial.artifact)),
                trial.training_loss,
                trial.eval_loss,
            ],
        )
    updated = query(
        cur,
        f"UPDATE sqlml.models SET active_version = ?, updated_at = now() WHERE {MODEL_KEY} RETURNING 1",
        [record.version, schema, model],
    )
    if not updated:
        query(
            cur,
            "INSERT INTO sqlml.models (schema_name, model_name, active_version, created_at, updated_at) "
            "VALUES (?, ?, ?, now(), now())",
            [schema, model, record.version],
        )
    return record.version


def set_active_version(cur: duckdb.DuckDBPyConnection, schema: str, model: str, version: int) -> None:
    """Make `version` the one ML functions use (a rollback or a roll forward). Call inside `transaction`."""
    versions = [
        v
        for (v,) in query(
            cur, f"SELECT version FROM sqlml.model_versions WHERE {MODEL_KEY} ORDER BY version", [schema, model]
        )
    ]
    if version not in versions:
        raise ProgrammingError(
            f"model {schema}.{model} has no version {version}; its versions: " + ", ".join(map(str, versions))
        )
    query(
        cur,
        f"UPDATE sqlml.models SET active_version = ?, updated_at = now() WHERE {MODEL_KEY}",
        [version, schema, model],
    )


def set_description(cur: duckdb.DuckDBPyConnection, schema: str, model: str, options: dict) -> None:
    """ALTER MODEL ... SET OPTIONS: the model's description, labels and expiration_timestamp (Unix
    microseconds), each kept unless given."""
    for column in ("description", "labels", "expiration_timestamp"):
        if column in options:
            value = options[column]
            query(
                cur,
                f"UPDATE sqlml.models SET {column} = {_EXPIRES if column == 'expiration_timestamp' else '?'}, "
                f"updated_at = now() WHERE {MODEL_KEY}",
                [json.dumps(value) if column == "labels" and value is not None else value, schema, model],
            )


def description(cur: duckdb.DuckDBPyConnection, schema: str, model: str) -> tuple[str | None, dict]:
    """The model's description and labels (ALTER MODEL ... SET OPTIONS)."""
    ((text, labels),) = query(cur, f"SELECT description, labels FROM sqlml.models WHERE {MODEL_KEY}", [schema, model])
    return text, json.loads(labels) if labels else {}


def versions_sql(schema: str, model: str) -> str:
    """ML.VERSIONS: every version with its lineage and metrics, and which one is active."""
    return f"""
SELECT v.version, v.created_at, v.model_type, coalesce(v.estimator_type, v.model_type) AS estimator_type,
       v.version = m.active_version AS active, v.training_sql, v.data_fingerprint, v.training_rows, v.eval_rows,
       v.dropped_rows, v.metrics, v.options
FROM sqlml.model_versions v JOIN sqlml.models m USING (schema_name, model_name)
WHERE v.schema_name = {literal(schema)} AND v.model_name = {literal(model)} ORDER BY v.version"""


def drop(cur: duckdb.DuckDBPyConnection, schema: str, model: str) -> None:
    """Delete a model and all its versions. Call inside `transaction`."""
    query(cur, f"DELETE FROM sqlml.model_trials WHERE {MODEL_KEY}", [schema, model])
    query(cur, f"DELETE FROM sqlml.model_versions WHERE {MODEL_KEY}", [schema, model])
    query(cur, f"DELETE FROM sqlml.models WHERE {MODEL_KEY}", [schema, model])


def _expires(cur: duckdb.DuckDBPyConnection, model: str) -> str:
    """The SQL of a model's expiration_timestamp from the sqlml.models row `model` (NULL in an older catalog)."""
    return f"{model}.expiration_timestamp" if has_expiration(cur) else "NULL::TIMESTAMPTZ"


def show_models_sql(cur: duckdb.DuckDBPyConnection) -> str:
    """SHOW MODELS: one row per model, its active version's type, label and rows, and whether it expired."""
    if not exists(cur):
        return EMPTY_SHOW_MODELS_SQL
    expires = _expires(cur, "m")
    return f"""
SELECT m.schema_name, m.model_name, v.model_type, m.active_version, v.label,
       v.training_rows, m.created_at, m.updated_at, m.description, m.labels, {expires} AS expiration_timestamp,
       coalesce({expires} <= now(), false) AS expired
FROM sqlml.models m JOIN sqlml.model_versions v
  ON v.schema_name = m.schema_name AND v.model_name = m.model_name AND v.version = m.active_version
ORDER BY m.schema_name, m.model_name"""


EMPTY_SHOW_MODELS_SQL = """
SELECT NULL::VARCHAR AS schema_name, NULL::VARCHAR AS model_name, NULL::VARCHAR AS model_type,
       NULL::INTEGER AS active_version, NULL::VARCHAR AS label, NULL::BIGINT AS training_rows,
       NULL::TIMESTAMPTZ AS created_at, NULL::TIMESTAMPTZ AS updated_at, NULL::VARCHAR AS description,
       NULL::JSON AS labels, NULL::TIMESTAMPTZ AS expiration_timestamp, NULL::BOOLEAN AS expired WHERE false"""


def describe_model_sql(cur: duckdb.DuckDBPyConnection) -> str:
    """DESCRIBE MODEL: a version's row (parameters: a forecasting model's arima_result JSON or NULL, where it
    trained, schema, model, version), with its model's expiration."""
    expires = _expires(cur, "m")
    return f"""
SELECT v.schema_name, v.model_name, version, model_type, label, label_type, classes,
       [f->>'name' FOR f IN CAST(features AS JSON[])] AS features, transform, options, metrics,
       training_rows, eval_rows, dropped_rows, data_fingerprint, training_sql, artifact_format,
       octet_length(artifact) AS artifact_bytes, v.created_at, {expires} AS expiration_timestamp,
       coalesce({expires} <= now(), false) AS expired, CAST(? AS JSON) AS arima_result, ?::VARCHAR AS compute
FROM sqlml.model_versions v JOIN sqlml.models m USING (schema_name, model_name)
WHERE lower(v.schema_name) = lower(?) AND lower(v.model_name) = lower(?) AND version = ?"""


_EXPIRES = "timezone('UTC', make_timestamp(?::BIGINT))"  # Unix microseconds as a TIMESTAMPTZ (NULL stays NULL)

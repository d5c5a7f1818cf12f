"""The ML statements other than queries: CREATE/DROP/SHOW/DESCRIBE/EXPORT MODEL.

Each handler runs one statement on a DuckDB cursor and returns True when it left a result set there.
"""

from __future__ import annotations

import duckdb

from sqlml.engine import catalog
from sqlml.engine.train import create_model
from sqlml.errors import NotSupportedError, ProgrammingError
from sqlml.parser import CreateModel, DescribeModel, DropModel, ExportModel, ShowModels


def _create(cur: duckdb.DuckDBPyConnection, statement: CreateModel) -> bool:
    create_model(cur, statement)
    return False


def _drop(cur: duckdb.DuckDBPyConnection, statement: DropModel) -> bool:
    schema, name = catalog.resolve_name(cur, statement.name)
    if catalog.active_version(cur, schema, name) is None:
        if statement.args.get("exists"):
            return False
        raise ProgrammingError(f"model {schema}.{name} does not exist")
    with catalog.transaction(cur):
        catalog.drop(cur, schema, name)
    return False


def _show(cur: duckdb.DuckDBPyConnection, statement: ShowModels) -> bool:
    cur.execute(catalog.SHOW_MODELS_SQL if catalog.exists(cur) else catalog.EMPTY_SHOW_MODELS_SQL)
    return True


def _describe(cur: duckdb.DuckDBPyConnection, statement: DescribeModel) -> bool:
    schema, name = catalog.resolve_name(cur, statement.name)
    version = catalog.active_version(cur, schema, name)
    if version is None:
        raise ProgrammingError(f"model {schema}.{name} does not exist")
    cur.execute(catalog.DESCRIBE_MODEL_SQL, [schema, name, version])
    return True


def _export(cur: duckdb.DuckDBPyConnection, statement: ExportModel) -> bool:
    raise NotSupportedError("EXPORT MODEL parses but is not implemented yet")


STATEMENTS = {
    CreateModel: _create,
    DropModel: _drop,
    ShowModels: _show,
    DescribeModel: _describe,
    ExportModel: _export,
}

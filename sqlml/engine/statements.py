"""The ML statements other than queries: CREATE/DROP/SHOW/DESCRIBE/EXPORT MODEL.

Each handler runs one statement with the statement's MLContext and returns True when it left a result set
on the context's cursor.
"""

from __future__ import annotations

from sqlml.engine import catalog
from sqlml.engine.context import MLContext
from sqlml.engine.params import quote_identifier
from sqlml.engine.train import create_model
from sqlml.errors import ProgrammingError
from sqlml.parser import CreateModel, DescribeModel, DropModel, ExportModel, ShowModels


def _create(ctx: MLContext, statement: CreateModel) -> bool:
    create_model(ctx, statement)
    return False


def _drop(ctx: MLContext, statement: DropModel) -> bool:
    cur = ctx.cur
    schema, name = catalog.resolve_name(cur, statement.name)
    if catalog.active_version(cur, schema, name) is None:
        if statement.args.get("exists"):
            return False
        raise ProgrammingError(f"model {schema}.{name} does not exist")
    with catalog.transaction(cur):
        catalog.drop(cur, schema, name)
    return False


def _show(ctx: MLContext, statement: ShowModels) -> bool:
    cur = ctx.cur
    cur.execute(catalog.SHOW_MODELS_SQL if catalog.exists(cur) else catalog.EMPTY_SHOW_MODELS_SQL)
    return True


def _describe(ctx: MLContext, statement: DescribeModel) -> bool:
    cur = ctx.cur
    schema, name = catalog.resolve_name(cur, statement.name)
    version = catalog.active_version(cur, schema, name)
    if version is None:
        raise ProgrammingError(f"model {schema}.{name} does not exist")
    cur.execute(catalog.DESCRIBE_MODEL_SQL, [schema, name, version])
    return True


def _export(ctx: MLContext, statement: ExportModel) -> bool:
    from sqlml.export.exporter import export_model  # export builds on the engine, not the engine on export

    row = export_model(ctx, statement)  # one row: column -> value
    ctx.cur.execute("SELECT " + ", ".join(f"? AS {quote_identifier(name)}" for name in row), list(row.values()))
    return True


STATEMENTS = {
    CreateModel: _create,
    DropModel: _drop,
    ShowModels: _show,
    DescribeModel: _describe,
    ExportModel: _export,
}

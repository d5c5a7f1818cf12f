"""The ML statements other than queries: CREATE/ALTER/DROP/SHOW/DESCRIBE MODEL, and those `register`ed from
above the engine (EXPORT MODEL).

Each handler runs one statement with the statement's MLContext and returns True when it left a result set
on the context's cursor.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import duckdb

from sqlml.engine import compute
from sqlml.engine.store import catalog
from sqlml.errors import ProgrammingError

if TYPE_CHECKING:  # a statement's modules load when it first runs: a plain query loads none of them
    from sqlml.engine.context import MLContext
    from sqlml.parser import AlterModel, CreateModel, DescribeModel, DropModel, ShowModels


def _create(ctx: MLContext, statement: CreateModel) -> bool:
    from sqlml.engine.training.create_model import create_model

    create_model(ctx, statement)
    return False


def _existing(ctx: MLContext, statement: DropModel | AlterModel) -> tuple[str, str] | None:
    """(schema, name) of the statement's model; None if it is missing and the statement says IF EXISTS."""
    schema, name = catalog.resolve_name(ctx.cur, statement.name)
    if catalog.active_version(ctx.cur, schema, name) is None:
        if statement.args.get("exists"):
            return None
        raise ProgrammingError(f"model {schema}.{name} does not exist")
    return schema, name


def _drop(ctx: MLContext, statement: DropModel) -> bool:
    found = _existing(ctx, statement)
    if found:
        with catalog.transaction(ctx.cur):
            catalog.drop(ctx.cur, *found)
    return False


def expiration_micros(cur, value: Any) -> int | None:
    """OPTIONS' expiration_timestamp as Unix microseconds: a TIMESTAMP literal (without a time zone: UTC, as
    BigQuery ML reads it), a TIMESTAMPTZ one, a string read as a TIMESTAMP, or NULL (never expires)."""
    from sqlglot import exp

    from sqlml.engine.families.options import fail

    if value is None:
        return None
    zoned = isinstance(value, exp.Cast) and value.to.is_type(exp.DataType.Type.TIMESTAMPTZ)
    if isinstance(value, exp.Cast) and value.to.is_type(*exp.DataType.TEMPORAL_TYPES) and value.this.is_string:
        value = value.this.name
    if not isinstance(value, str):
        raise fail("expiration_timestamp", "a TIMESTAMP (TIMESTAMP '2035-02-03 12:34:56') or NULL", value)
    try:
        return catalog.query(cur, f"SELECT epoch_us(CAST(? AS {'TIMESTAMPTZ' if zoned else 'TIMESTAMP'}))", [value])[0][
            0
        ]
    except duckdb.Error:
        raise fail("expiration_timestamp", "a valid TIMESTAMP", value) from None


def validate_alter_options(raw: dict) -> dict:
    """ALTER MODEL ... SET OPTIONS: description (a string, or NULL to clear it), labels, BigQuery ML's
    [('key', 'value'), ...] (NULL clears them), kept as {key: value}, and expiration_timestamp (as given:
    `expiration_micros` reads it)."""
    from sqlml.engine.families.common import refuse_cloud_options
    from sqlml.engine.families.options import fail

    refuse_cloud_options(raw)
    for name in raw:
        if name not in ("description", "labels", "expiration_timestamp"):
            raise ProgrammingError(
                f"OPTIONS: ALTER MODEL sets description and labels, and expiration_timestamp, not {name!r}"
            )
    options = {key: raw[key] for key in raw if key == "expiration_timestamp"}
    if "description" in raw:
        value = raw["description"]
        if value is not None and not isinstance(value, str):
            raise fail("description", "a string", value)
        options["description"] = value
    if "labels" in raw:
        value = raw["labels"]
        pairs = isinstance(value, list) and all(
            isinstance(p, (list, tuple)) and len(p) == 2 and all(isinstance(x, str) for x in p) for p in value
        )
        if value is not None and not pairs:
            raise fail("labels", "an array of ('key', 'value') pairs", value)
        options["labels"] = None if value is None else dict(value)
    return options


def _alter(ctx: MLContext, statement: AlterModel) -> bool:
    found = _existing(ctx, statement)
    if not found:
        return False
    version = statement.args.get("version")
    options = None if version is not None else validate_alter_options(statement.options_dict)
    with catalog.transaction(ctx.cur):
        if version is not None:
            catalog.set_active_version(ctx.cur, *found, version)
        else:
            if "expiration_timestamp" in options:
                options["expiration_timestamp"] = expiration_micros(ctx.cur, options["expiration_timestamp"])
            catalog.set_description(ctx.cur, *found, options)
    return False


def _show(ctx: MLContext, statement: ShowModels) -> bool:
    cur = ctx.cur
    cur.execute(catalog.show_models_sql(cur))
    return True


def _describe(ctx: MLContext, statement: DescribeModel) -> bool:
    from sqlml.engine.training.create_model import label_notice

    cur = ctx.cur
    schema, name = catalog.resolve_name(cur, statement.name)
    version = catalog.active_version(cur, schema, name)
    if version is None:
        raise ProgrammingError(f"model {schema}.{name} does not exist")
    loaded = catalog.load(cur, schema, name, version)
    ctx.notices += filter(None, [label_notice(loaded)])
    where = compute.described(loaded.compute)
    cur.execute(catalog.describe_model_sql(cur), [_arima_result(loaded), where, schema, name, version])
    return True


def _arima_result(version) -> str | None:
    """A forecasting model's fitted series, summarized (functions/arima_info.py); NULL for other models."""
    from sqlml.engine.families import FAMILIES

    if not FAMILIES[version.model_type].forecasting:
        return None
    from sqlml.engine.functions.arima_info import arima_result
    from sqlml.engine.store.model import Model

    return arima_result(Model(version))


# the statement node's class name (sqlml/parser/nodes.py) -> its handler, or "module:function" imported when
# such a statement first runs
STATEMENTS: dict[str, Callable[[MLContext, Any], bool] | str] = {
    "CreateModel": _create,
    "AlterModel": _alter,
    "DropModel": _drop,
    "ShowModels": _show,
    "DescribeModel": _describe,
}


def register(statement_type: str, handler: str) -> None:
    """Run statements whose node class is named `statement_type` with `handler`, "module:function": how the
    layers above the engine add theirs (EXPORT MODEL: the composition root, sqlml/root.py, registers it; the
    engine never imports those layers) without loading them before one runs."""
    STATEMENTS[statement_type] = handler


def handler_of(statement: Any) -> Callable[[MLContext, Any], bool] | None:
    """The handler of a parsed statement; None for a query."""
    handler = STATEMENTS.get(type(statement).__name__)
    if isinstance(handler, str):
        module, _, name = handler.partition(":")
        handler = STATEMENTS[type(statement).__name__] = getattr(importlib.import_module(module), name)
    return handler

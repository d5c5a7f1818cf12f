"""ML.TRANSFORM(MODEL m, TABLE t | (query)): the features a model's TRANSFORM clause makes of the rows given,
with the statistics learned at training; DuckDB runs the SQL it returns."""

from __future__ import annotations

from sqlml.engine.context import MLContext, calls_ml
from sqlml.engine.store.model import Model
from sqlml.errors import ProgrammingError
from sqlml.parser import MLFunction


def ml_transform(ctx: MLContext, call: MLFunction, model: Model, params: dict) -> str:
    if model.transform is None:
        raise ProgrammingError(
            f"model {model.version.qualified_name} has no TRANSFORM clause; ML.TRANSFORM "
            "applies to models created with CREATE MODEL ... TRANSFORM(...)"
        )
    query = ctx.input_query(call)
    if calls_ml(query):  # the ML calls of the input become what DuckDB runs (relations registered on ctx.cur)
        return model.transform.select(ctx.plan(query)[0], None)
    return model.transform.select(query, ctx.cur.sql(query).columns)

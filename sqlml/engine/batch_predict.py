"""Batch prediction on a session's cluster: `COPY (SELECT * FROM ML.PREDICT(MODEL m, <input>)) TO <Parquet file or
directory>` and `CREATE [OR REPLACE] [TEMP] TABLE t AS SELECT * FROM ML.PREDICT(MODEL m, <input>)` are recognized
here and scored by the cluster's workers (`Cluster.predict`, sqlml/cluster/predict.py), the rows never passing
through this process. Anything else (another format or COPY option, a query around the call, a model without an
ONNX graph, a session read-only or without external access) runs in this process as always. `bare_scan` and
`parquet_files` also tell the cluster's training (sqlml/cluster/staging.py) a query its workers read directly.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # sqlglot loads with the first ML statement, not with the session
    import duckdb
    from sqlglot import exp

    from sqlml.engine.context import MLContext
    from sqlml.parser import MLFunction

COPY_OPTIONS = {"FORMAT", "PER_THREAD_OUTPUT", "OVERWRITE"}  # the COPY options the cluster honours


@dataclass(frozen=True)
class Target:
    """Where the predictions go: `kind` 'directory' (a Parquet file per partition, DuckDB's data_<n>.parquet
    names; with `overwrite`, the files there are replaced, else it must be empty or new), 'file' (one Parquet file)
    or 'table' (`create`: the CREATE TABLE ... AS statement)."""

    kind: str
    path: str | None = None
    overwrite: bool = False
    create: exp.Create | None = None

    @property
    def table(self) -> str:
        """The table's name as SQL."""
        return self.create.this.sql(dialect="duckdb")

    def table_sql(self, source: str) -> str:
        """The CREATE TABLE statement with `source` (a query) as its query."""
        import sqlglot

        create = self.create.copy()
        create.set("expression", sqlglot.parse_one(source, read="duckdb"))
        return create.sql(dialect="duckdb")


def recognized(statement: exp.Expr) -> tuple[MLFunction, Target] | None:
    """The ML.PREDICT call and the target of a statement of the shapes above, else None."""
    from sqlglot import exp

    if isinstance(statement, exp.Copy):
        query, target = statement.this, _copy_target(statement)
    elif isinstance(statement, exp.Create) and statement.kind == "TABLE" and not statement.args.get("exists"):
        query, target = statement.expression, Target("table", create=statement)
    else:
        return None
    call = _predict_call(query)
    return None if call is None or target is None else (call, target)


def _predict_call(query: exp.Expr | None) -> MLFunction | None:
    """The call of `SELECT * FROM ML.PREDICT(MODEL m, <input> [, STRUCT(...)])`."""
    from sqlml.parser import MLFunction

    call = bare_scan(query)
    if not isinstance(call, MLFunction) or call.function != "PREDICT":
        return None
    return call if call.args.get("input") is not None and not call.args.get("joins") else None


def bare_scan(query: exp.Expr | None, columns: bool = False) -> exp.Expr | None:
    """What `SELECT * FROM x` (parenthesized or not, nothing else; with `columns`, also `SELECT a, b FROM x`)
    reads: x; None for any other query."""
    from sqlglot import exp

    while isinstance(query, exp.Subquery) and given_args(query) == ["this"]:
        query = query.this
    if not isinstance(query, exp.Select) or set(given_args(query)) != {"expressions", "from_"}:
        return None
    items = query.expressions
    plain = [
        (isinstance(item, exp.Star) and not given_args(item))
        or (
            columns
            and isinstance(item, exp.Column)
            and given_args(item) == ["this"]
            and isinstance(item.this, exp.Identifier)
        )
        for item in items
    ]
    return query.args["from_"].this if all(plain) and (columns or len(items) == 1) else None


def parquet_files(cur: duckdb.DuckDBPyConnection, source: exp.Expr | None, columns: list[str]) -> list[str] | None:
    """The files of `source`, a FROM item `read_parquet(<path, glob or list>)` or `'<file>.parquet'` of local paths
    whose first file holds `columns` (DuckDB's view of them), absolute, as DuckDB globs them; None for any other
    source or when no file matches (hive partitions' columns are in no file)."""
    import pyarrow.parquet as pq
    from sqlglot import exp

    reader = source.this if isinstance(source, exp.Table) and given_args(source) == ["this"] else None
    if isinstance(reader, exp.ReadParquet) and len(reader.expressions) == 1:
        given = reader.expressions[0]
        paths = given.expressions if isinstance(given, exp.Array) else [given]
        if not all(isinstance(p, exp.Literal) and p.is_string for p in paths):
            return None
    elif isinstance(reader, exp.Identifier) and reader.quoted and reader.name.lower().endswith(".parquet"):
        paths = [reader]  # FROM 'x.parquet', DuckDB's replacement scan
    else:
        return None
    if any("://" in p.name for p in paths):
        return None
    files = [os.path.abspath(f) for p in paths for (f,) in cur.execute("FROM glob(?)", [p.name]).fetchall()]
    return files if files and set(columns) <= set(pq.read_schema(files[0]).names) else None


def given_args(node: exp.Expr) -> list[str]:
    """The arguments a node has."""
    return [key for key, value in node.args.items() if value not in (None, False, [])]


def _copy_target(copy: exp.Copy) -> Target | None:
    """A COPY TO a Parquet file or directory on a local or shared file system, with only the options the cluster
    honours: FORMAT parquet (or none and a .parquet file), PER_THREAD_OUTPUT (a directory, as a path ending in '/'
    is) and OVERWRITE."""
    from sqlglot import exp

    files = copy.args.get("files") or []
    credentials = copy.args.get("credentials")
    if copy.args.get("kind") or (credentials and given_args(credentials)) or len(files) != 1:
        return None
    if not isinstance(files[0], exp.Literal) or not files[0].is_string or "://" in files[0].name:
        return None
    path = files[0].name
    options = {param.this.name.upper(): param.expression for param in copy.args.get("params") or []}
    if set(options) - COPY_OPTIONS:
        return None
    form = options.get("FORMAT")
    if (form.name.lower() if form is not None else "parquet" if path.lower().endswith(".parquet") else "") != "parquet":
        return None
    per_thread, overwrite = _flag(options, "PER_THREAD_OUTPUT"), _flag(options, "OVERWRITE")
    if per_thread is None or overwrite is None:
        return None
    directory = per_thread or path.endswith(("/", os.sep))
    return Target("directory" if directory else "file", path, overwrite)


def _flag(options: dict, name: str) -> bool | None:
    """A boolean COPY option: False when absent, True when given without a value; None when not a boolean."""
    from sqlglot import exp

    if name not in options:
        return False
    value = options[name]
    if value is None:
        return True
    if isinstance(value, exp.Boolean):
        return value.this
    return None


def run(ctx: MLContext, statement: exp.Expr, read_only: bool) -> bool:
    """Score `statement` on the cluster if it has a shape above: True when done (the cursor holds DuckDB's `Count`
    of the rows written, as after its own COPY or CREATE TABLE ... AS), False to run it in this process."""
    from sqlml.engine.functions import registry

    found = recognized(statement)
    if found is None or (found[1].kind == "table" and read_only) or not _external_access(ctx):
        return False
    call, target = found
    model, params = registry.checked(ctx, call)
    if model.family.onnx_builder is None:
        ran_here(ctx, f"{model.version.model_type} models have no ONNX graph for the workers to run")
        return False
    written = ctx.cluster().predict(ctx, call, model, params, target)
    if written is None:
        return False
    ctx.cur.execute('SELECT CAST(? AS BIGINT) AS "Count"', [written])
    return True


def ran_here(ctx: MLContext, reason: str) -> None:
    """Tell the user the statement runs in this process, and why."""
    ctx.notices.append(f"ML.PREDICT ran in this process, not on the cluster: {reason}")


def _external_access(ctx: MLContext) -> bool:
    """Whether DuckDB may read and write files (the workers' files are outside what DuckDB checks)."""
    ((allowed,),) = ctx.cur.execute("SELECT current_setting('enable_external_access')").fetchall()
    return bool(allowed)

"""What an ML function handler may use: the catalog, its model, its input as a stream (its STRUCT parameters
are checked by functions/registry.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import duckdb

from sqlml.engine.policies import ExportPolicy, ImportPolicy
from sqlml.engine.progress import Progress
from sqlml.engine.sqltext.positions import Origin, located
from sqlml.engine.store.model import Model, ModelCache

if TYPE_CHECKING:  # loaded by the first ML statement, not by opening a session
    import pyarrow as pa

    from sqlml.engine.compute import Cluster
    from sqlml.parser import MLFunction


BATCH_BYTES = 64 * 2**20
MIN_BATCH_ROWS, MAX_BATCH_ROWS = 2_048, 524_288


def batch_rows(width: int) -> int:
    """Rows per streamed batch: a feature matrix of about BATCH_BYTES, whatever the model's width (fewer,
    larger batches spare the estimator per-call overhead; a wide model still stays within memory)."""
    return min(MAX_BATCH_ROWS, max(MIN_BATCH_ROWS, BATCH_BYTES // (8 * max(width, 1))))


def calls_ml(sql: str) -> bool:
    """Whether a query calls ML functions (then only planning it can bind it)."""
    from sqlml.parser import has_ml_keyword, is_ml_statement

    return has_ml_keyword(sql) and is_ml_statement(sql)


class MLContext:
    """Per-statement services for ML function handlers.

    `run_input(sql, batch_rows)` executes an input query (which may itself use ML functions) on a cursor
    of its own and returns a RecordBatchReader over its result; `plan(sql)` returns `sql` with its ML function calls
    turned into relations registered on `cur`. Exceptions raised while DuckDB pulls batches from a
    `stream` are kept in `errors`, so the statement can report them instead of DuckDB's wrapper.
    `progress(task, done, total)` reports the steps of long work (engine/progress.py); `exports` says where
    EXPORT MODEL may write, `imports` where CREATE MODEL may read a model_path; `cluster()` is the session's
    cluster (None: none); `notices` collects what the user should know about the result.
    """

    def __init__(
        self,
        cur: duckdb.DuckDBPyConnection,
        run_input: Callable[[str, int], pa.RecordBatchReader],
        plan: Callable[[str], tuple[str, list]],
        models: ModelCache,
        progress: Progress | None = None,
        exports: ExportPolicy = ExportPolicy(),
        imports: ImportPolicy = ImportPolicy(),
        origin: Origin | None = None,
        cluster: Callable[[], Cluster | None] = lambda: None,
        has_cluster: bool = False,
    ):
        self.cur = cur
        self.origin = origin  # how the statement's text derives from the user's (engine/sqltext/positions.py)
        self.origins: dict[str, Origin] = {}  # the parts of the statement run alone, by their text
        self.models = models
        self.run_input = run_input
        self.plan = plan
        self.progress = progress or Progress()
        self.exports = exports
        self.imports = imports
        self.cluster = cluster  # the session's cluster, connected when first asked for (engine/compute.py)
        self.has_cluster = has_cluster  # whether the session has one (without connecting to it)
        self.errors: list[BaseException] = []
        self.notices: list[str] = []  # what the user should know about the result (SessionCursor.notices)

    def part(self, sql: str, start: int | None) -> str:
        """`sql`, a part of the statement starting at `start` that runs alone: DuckDB's errors about it then
        point into the statement."""
        if self.origin is not None and start is not None:
            self.origins[sql] = self.origin.derive(start)
        return sql

    def relation(self, sql: str) -> duckdb.DuckDBPyRelation:
        """A query (ML functions allowed) bound on `cur`, not run: its columns and types."""
        planned, splices = self.plan(sql)
        with self._located(sql, planned, splices):
            return self.cur.sql(planned)

    def model_file(self, path: str) -> str:
        """The file to read for model_path `path`, where the import policy and DuckDB's enable_external_access
        let this connection read (OperationalError otherwise)."""
        ((external_access,),) = self.cur.execute("SELECT current_setting('enable_external_access')").fetchall()
        return self.imports.resolve(path, external_access)

    def read_table(self, sql: str) -> pa.Table:
        """The whole result of a query (ML functions allowed) run on `cur`, so it sees what the user's
        open transaction wrote."""
        planned, splices = self.plan(sql)
        with self._located(sql, planned, splices):
            return self.cur.sql(planned).to_arrow_table()

    def _located(self, sql: str, planned: str, splices: list):
        origin = self.origins.get(sql)
        return located(self.cur, planned, origin and origin.derive(0, splices))

    def model(self, call: MLFunction, trial_id: int | None = None) -> Model:
        """The call's model (its VERSION, else the active one; that version's tuning trial `trial_id`)."""
        return self.models.get(self.cur, call.model_name, call.model_version, trial_id)

    def input_query(self, call: MLFunction, second: bool = False) -> str:
        """The SQL of the call's TABLE t or (query) (with `second`, of a data function's second one)."""
        from sqlglot import exp

        text, node = (
            (call.second_input_sql, call.args.get("second_input"))
            if second
            else (call.input_sql, call.args.get("input"))
        )
        start = call.input_start(second)
        if isinstance(node, exp.Table):
            return self.part(f"FROM {text}", start - len("FROM "))
        return self.part(text, start)

    def model_input(self, call: MLFunction, model: Model, with_label: bool = False) -> str:
        """The SQL reading the call's input for `model`: with its TRANSFORM's outputs added, if it has one."""
        query = self.input_query(call)
        if model.transform is None:
            return query
        return model.input_sql(query, None if calls_ml(query) else self.relation(query).columns, with_label)

    def open_input(self, call: MLFunction, model: Model, with_label: bool = False) -> pa.RecordBatchReader:
        """The call's input for `model` as a stream of record batches sized for its feature count."""
        return self.run_input(self.model_input(call, model, with_label), batch_rows(len(model.encoder.output_names)))

    def stream(self, schema: pa.Schema, batches: Iterator[pa.RecordBatch]) -> pa.RecordBatchReader:
        """A reader DuckDB can scan, remembering any exception the batches raise."""
        import pyarrow as pa

        def guarded() -> Iterator[pa.RecordBatch]:
            try:
                yield from batches
            except BaseException as exc:
                self.errors.append(exc)
                raise

        return pa.RecordBatchReader.from_batches(schema, guarded())

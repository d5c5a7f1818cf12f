"""Session: the one entry point of every front end (DB-API, SQLAlchemy, CLI, shell, server): they run statements,
read results and read the text of statements through Session and SessionCursor only (import-linter's contracts
in pyproject.toml hold them to it).

The path of a statement: `SessionCursor.execute(sql, params)`
  1. no ML keyword anywhere (a cheap regex)          -> DuckDB runs the text untouched;
  2. else split into statements; each one that is not an ML statement (token test) -> DuckDB untouched;
  3. an ML statement is parsed: CREATE/DROP/SHOW/DESCRIBE/EXPORT MODEL go to `model_statements.STATEMENTS`;
     a query is planned: each ML.<FN>(...) call goes to its handler in `functions.registry.ML_FUNCTIONS`, which
     returns SQL (spliced into the original text as a subquery in place of the call) or an Arrow relation
     (registered on the cursor under a private name spliced in instead); then DuckDB runs the query. The
     relations stay registered until the cursor's next statement.
"""

from __future__ import annotations

import functools
import itertools
import threading
import warnings
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from typing import TYPE_CHECKING, Any

import duckdb

from sqlml import errors
from sqlml.engine import batch_predict, compute, dialects, settings
from sqlml.engine import session_errors as errors_of
from sqlml.engine.compute import Cluster, ClusterSetting  # front ends build a Session's cluster setting
from sqlml.engine.context import MLContext
from sqlml.engine.functions import registry
from sqlml.engine.model_statements import handler_of
from sqlml.engine.policies import ExportPolicy, ImportPolicy  # noqa: F401 - front ends build a Session's policies
from sqlml.engine.progress import Listener, Progress
from sqlml.engine.settings import SHARED as SHARED_SETTINGS  # noqa: F401 - the server refuses a client's change
from sqlml.engine.sqltext import bigquery_functions
from sqlml.engine.sqltext.parameters import Parameters, bind, check_places
from sqlml.engine.sqltext.positions import Origin, located
from sqlml.engine.sqltext.quoting import literal, quote_identifier
from sqlml.engine.store import catalog
from sqlml.engine.store.model import ModelCache
from sqlml.parser.keywords import (
    BLANKS_AND_COMMENTS,
    explain_prefix,
    has_ml_keyword,
    leading_words,
    search_in_slices,  # noqa: F401 - for front ends reading long texts
)

if TYPE_CHECKING:  # loaded by the first ML statement or Arrow fetch: a plain query loads neither
    import pyarrow as pa

# parsing is pure (text -> tree; the tree is only read): statements a client repeats parse once


@functools.lru_cache(maxsize=256)
def _parse(text: str):
    from sqlml.parser import parse_statement

    return parse_statement(text)


@functools.lru_cache(maxsize=1024)
def _is_ml_statement(text: str) -> bool:
    from sqlml.parser import is_ml_statement

    return is_ml_statement(text)


def _creates_with_ml_tables(statement) -> bool:
    """A CREATE VIEW / MACRO / ... calling ML table functions, whose relations exist only while a statement runs
    (ML.<FN>() of values are SQL, which a view keeps)."""
    from sqlml.parser import MLFunction

    return (
        type(statement).__name__ == "Create"
        and statement.kind not in ("TABLE", None)
        and bool(statement.find(MLFunction))
    )


def _split(sql: str) -> list[str]:
    from sqlml.parser import split_statements

    return split_statements(sql)


def _reader():
    from sqlml.parser import StatementReader

    return StatementReader()


_SESSION_STATE_SQL = (
    "SELECT current_database(), current_schema(), current_setting('search_path'), current_setting('TimeZone'), "
    "current_setting('ieee_floating_point_ops')"
)


class Session:
    """One database connection and the cursors opened on it."""

    catalog_schema = catalog.SCHEMA  # the schema of the model catalog's tables

    def __init__(
        self,
        database: str = ":memory:",
        read_only: bool = False,
        config: dict | None = None,
        exports: ExportPolicy = ExportPolicy(),
        imports: ImportPolicy = ImportPolicy(),
        dialect: str = dialects.DEFAULT,
        cluster: ClusterSetting | None = None,
    ):
        self.dialect = dialects.checked(dialect)  # what its cursors start reading: 'duckdb' or 'bigquery'
        try:
            self.connection = duckdb.connect(database, read_only=read_only, config=config or {})
        except duckdb.Error as exc:
            raise errors_of.open_error(exc, database) from None
        self.read_only = read_only
        self.exports = exports  # where EXPORT MODEL may write
        self.imports = imports  # where CREATE MODEL may read a model_path
        self.models = ModelCache()
        self.on_progress: Listener | None = None  # told the steps of long work (engine/progress.py)
        self.default_state = catalog.query(self.connection.cursor(), _SESSION_STATE_SQL)[0]
        self._functions = threading.Lock()  # held while the DuckDB functions of BigQuery's are installed
        self._functions_installed = False
        self.cluster_setting = cluster  # the cluster CREATE MODEL may train on (engine/compute.py); None: none
        self.started_cluster = cluster  # what RESET sqlml_cluster goes back to (engine/settings.py)
        self.cluster_dir = cluster and cluster.staging  # where the cluster SET sqlml_cluster names stages data
        self._cluster: Cluster | None = None  # opened by the first statement that uses it
        self._cluster_lock = threading.Lock()

    def install_bigquery_functions(self) -> None:
        """Register, once, the DuckDB functions of BigQuery's (FARM_FINGERPRINT) that translated GoogleSQL and
        the SQL of ML statements call (ML.HASH_BUCKETIZE); every cursor sees them."""
        with self._functions:
            if not self._functions_installed:
                bigquery_functions.install_functions(self.connection)
                self._functions_installed = True

    def cursor(self) -> SessionCursor:
        return SessionCursor(self)

    @staticmethod
    def ml_functions() -> list[str]:
        """The ML functions' names as statements call them: ML.PREDICT, ..."""
        return [f"ML.{name}" for name in registry.ML_FUNCTIONS]

    @staticmethod
    def option_names() -> list[str]:
        """The names CREATE MODEL's OPTIONS(...) takes."""
        from sqlml.engine import families

        return sorted(families.option_names())

    def cluster(self) -> Cluster | None:
        """The session's cluster, connected on first use (None: the session has none)."""
        with self._cluster_lock:
            if self._cluster is None and self.cluster_setting is not None:
                self._cluster = compute.open_cluster(self.cluster_setting)
            return self._cluster

    def use_cluster(self, setting: ClusterSetting | None) -> None:
        """Change the session's cluster (None: none); the one open is closed."""
        with self._cluster_lock:
            if self._cluster is not None:
                self._cluster.close()
            self._cluster, self.cluster_setting = None, setting

    def close(self) -> None:
        self.use_cluster(None)
        self.connection.close()


_KIND_MODIFIERS = {"OR", "REPLACE", "TEMP", "TEMPORARY", "UNIQUE", "IF", "NOT", "EXISTS", "PERSISTENT"}


def command(sql: str) -> str:
    """What a statement does, as PostgreSQL's command tags name it: its first word upper-cased and, after CREATE,
    DROP and ALTER, the kind of object (CREATE TABLE, DROP MODEL; CREATE when the words run out first); "" for
    a text without words."""
    words = leading_words(sql)
    if words[:1] not in (["CREATE"], ["DROP"], ["ALTER"]):
        return words[0] if words else ""
    return " ".join([words[0], *itertools.islice((w for w in words[1:] if w not in _KIND_MODIFIERS), 1)])


def pieces(sql: str) -> list[str]:
    """The texts `SessionCursor.execute(sql)` gives DuckDB in turn (an ML statement's once planned): the whole
    text without an ML keyword, else each statement."""
    return _split(sql) if has_ml_keyword(sql) else [sql]


class SessionCursor:
    """Runs statements on a DuckDB cursor of its own (`duck`, for the engine only); front ends read the last
    statement's result through `description`, `rowcount` and the fetch methods, and the text of statements
    through the static methods below."""

    _view_ids = itertools.count(1)
    # the text of statements, read without running them
    split = staticmethod(_split)  # each statement of a text, stripped; SqlSyntaxError if unterminated
    reader = staticmethod(_reader)  # a text read a line at a time: whether it is complete, its statements
    has_ml_keyword = staticmethod(has_ml_keyword)  # whether a text may hold ML statements (else DuckDB's alone)
    words = staticmethod(leading_words)  # a statement's first words, upper-cased
    command = staticmethod(command)
    pieces = staticmethod(pieces)

    def __init__(self, session: Session):
        self.session = session
        self.duck = session.connection.cursor()
        self._views: list[str] = []
        self._inputs: list[SessionCursor] = []
        self._context: MLContext | None = None
        self._parameters = Parameters()  # the running ML statement's, set on its input cursors too
        self._has_result = False
        self.notices: list[str] = []  # what the last statement's handlers want the user to know
        self.as_written = True  # whether DuckDB ran the last text as given (its error positions are in that text)
        self.dialect = session.dialect  # the dialect `execute` reads; a switch statement changes it
        self._replaced_settings: dict[str, str] | None = None  # the cursor's own, while BigQuery's hold

    # -- running statements -------------------------------------------------------------------------
    def execute(
        self,
        sql: str,
        params: Sequence[Any] | Mapping[str, Any] | None = None,
        dialect: str | None = None,
        vet: Callable[[str], str] | None = None,
    ) -> bool:
        """Run one or more statements, read in `dialect` (None: the cursor's own, `self.dialect`). True: the last
        one has a result, as DuckDB reports it (`description`, the fetch methods); False: it has none (CREATE
        MODEL, DROP MODEL). `vet`, if given, gets each DuckDB text before it runs and returns what runs, and each
        change of one of sqlml's settings (SET name = 'value', RESET name), which it may refuse (the server's check
        of what a client may change)."""
        if params is not None and (isinstance(params, (str, bytes)) or not isinstance(params, (Sequence, Mapping))):
            raise errors.ProgrammingError(f"parameters must be a sequence or a mapping, not {type(params).__name__}")
        self.release()
        self.notices, self._has_result = [], False
        chosen = None if dialect is None else dialects.checked(dialect)
        if (chosen or self.dialect) == dialects.DEFAULT and not settings.mentioned(sql):
            if self._replaced_settings is not None:
                self._use_settings_of(dialects.DEFAULT)
            text = sql if vet is None else vet(sql)
            plain = not has_ml_keyword(text)
            self.as_written = plain and text == sql
            self._has_result = self._execute_hinted(text, params, plain, sql)
        else:
            self.as_written = False
            self._has_result = self._execute_read_in(sql, params, chosen, vet)
        return self._has_result

    def _execute_hinted(self, text: str, params, plain: bool, written: str | None) -> bool:
        """`_execute`; an error on a text `written` so (in DuckDB's dialect) that reads as GoogleSQL gets the hint
        naming the dialect switch."""
        try:
            return self._execute(text, params, plain)
        except errors.ProgrammingError as exc:
            if written is not None:
                dialects.hinted(exc, written)
            raise

    def _execute_read_in(self, sql: str, params, chosen: str | None, vet: Callable[[str], str] | None) -> bool:
        """Run each statement of `sql` in the `chosen` dialect, else in the cursor's as the statements before
        leave it: a setting's statement here (`vet`, if given, sees a change first), the others (GoogleSQL translated to DuckDB's dialect first) on the
        DuckDB path."""
        statements = dialects.split(sql, chosen or self.dialect)
        if params and len(statements) > 1:
            raise errors.ProgrammingError("parameters can only be bound to a single statement")
        has_result, offset = False, 0
        for text in statements:
            offset = sql.index(text, offset)
            dialect = chosen or self.dialect
            self.release()
            with errors_of.positions_in(sql, offset):  # syntax errors in the statement as written
                setting = settings.statement(text)
                duckdb_text = text if setting or dialect == dialects.DEFAULT else dialects.to_duckdb(text, self)
            if setting:
                has_result = self._setting(setting, params, vet)
                continue
            duckdb_text = duckdb_text if vet is None else vet(duckdb_text)
            self._use_settings_of(dialect)
            if dialect == dialects.DEFAULT:
                has_result = self._execute_hinted(duckdb_text, params, False, text)
                continue
            with dialects.translated_from(duckdb_text):
                has_result = self._execute(duckdb_text, params, plain=False)
        return has_result

    def _use_settings_of(self, dialect: str) -> None:
        """DuckDB settings that give GoogleSQL BigQuery's meaning (arithmetic errors, UTC) hold on this cursor
        while it runs translated statements; a statement in DuckDB's dialect gets the cursor's own back."""
        if dialect == dialects.DEFAULT:
            if self._replaced_settings is not None:
                with self.translated():
                    bigquery_functions.restore_settings(self.duck, self._replaced_settings)
                self._replaced_settings = None
        elif self._replaced_settings is None:
            with self.translated():
                self.session.install_bigquery_functions()
                self._replaced_settings = bigquery_functions.apply_settings(self.duck)

    def _setting(self, found: settings.SettingStatement, params, vet: Callable[[str], str] | None) -> bool:
        """SET / RESET / SHOW of one of sqlml's settings (engine/settings.py)."""
        setting = found.setting
        if params:
            raise errors.ProgrammingError(f"{setting.name} takes no parameters: {setting.syntax}")
        if found.verb == "show":
            with self.translated():
                self.duck.execute(f"SELECT ?::VARCHAR AS {setting.name}", [setting.show(self)])
            return True
        if vet is not None:  # the front end may refuse the change (the server: of a setting every client shares)
            vet(f"{found.verb.upper()} {setting.name}" + ("" if found.value is None else f" = {literal(found.value)}"))
        setting.change(self, found.value)
        return False

    def _execute(self, sql: str, params, plain: bool) -> bool:
        """Run DuckDB text: as a whole if `plain` (no ML keyword), else statement by statement."""
        with self.translated():
            if plain:
                self.duck.execute(sql) if params is None else self.duck.execute(sql, params)
                return True
            statements = _split(sql) if ";" in sql else [sql.strip()]
            if params and len(statements) > 1:
                raise errors.ProgrammingError("parameters can only be bound to a single statement")
            has_result, offset = False, 0
            for text in statements:
                self.release()
                self._context = None
                offset = sql.index(text, offset)
                with errors_of.positions_in(sql, offset):
                    has_result = self._execute_one(text, params)
                if self._context is not None:
                    self.notices += self._context.notices
            return has_result

    def _execute_one(self, text: str, params) -> bool:
        explain = explain_prefix(text)  # EXPLAIN [ANALYZE] of an ML statement: DuckDB's plan of what it runs
        if not _is_ml_statement(text[len(explain) :]):
            self.duck.execute(text, params)
            return True
        origin = Origin(text).derive(len(explain))
        text = text[len(explain) :]
        self.duck.complete()  # the last statement's unread result: DuckDB's relation API refuses to run beside it
        if params:
            check_places(_parse(text))
            text, self._parameters, splices = bind(text, params)
            self._parameters.apply(self.duck)
            origin = origin.derive(0, splices)
        statement = _parse(text)
        self._context = self._new_context(origin)
        handler = handler_of(statement)
        if handler is not None and explain:
            raise errors.NotSupportedError("EXPLAIN shows DuckDB's plan of a query; a model statement has none")
        if handler is not None:
            if self.session.read_only and type(statement).__name__ in ("CreateModel", "DropModel", "AlterModel"):
                raise errors.OperationalError("the database is open read-only: models cannot be changed")
            return handler(self._context, statement)
        if self._on_cluster(statement, explain):
            return True
        if _creates_with_ml_tables(statement):
            raise errors.NotSupportedError(
                f"ML functions cannot be used in CREATE {statement.kind}: their "
                "results exist while a statement runs; use CREATE TABLE ... AS"
            )
        try:
            self._run_planned(text, statement, origin, explain)
        except duckdb.InvalidInputException as exc:
            if "already been consumed" not in str(exc):
                raise
            self.release()  # DuckDB scans a relation twice (PIVOT, recursive CTE): hold them in memory
            self._context = self._new_context(origin)
            self._run_planned(text, statement, origin, explain, materialize=True)
        return True

    def _on_cluster(self, statement, explain: str) -> bool:
        """Whether the session's cluster scored the statement (COPY or CREATE TABLE ... AS of ML.PREDICT)."""
        if self.session.cluster_setting is None or explain:
            return False
        return batch_predict.run(self._context, statement, self.session.read_only)

    def _run_planned(self, text: str, statement, origin: Origin, explain: str = "", materialize: bool = False) -> None:
        """Plan `text` and run it (prefixed with `explain`: an EXPLAIN [ANALYZE] of what it became)."""
        planned, splices = self._plan(text, statement, materialize)
        with located(self.duck, explain + planned, origin.derive(0, [(0, 0, len(explain)), *splices])):
            self.duck.execute(explain + planned)

    def _new_context(self, origin: Origin | None) -> MLContext:
        self.session.install_bigquery_functions()
        return MLContext(
            self.duck,
            self._open_input,
            self._plan,
            self.session.models,
            Progress(self.session.on_progress),
            self.session.exports,
            self.session.imports,
            origin,
            self.session.cluster,
            self.session.cluster_setting is not None,
        )

    def _plan(self, text: str, statement=None, materialize: bool = False) -> tuple[str, list[tuple[int, int, int]]]:
        """`text` with each top-level ML function call replaced by a registered Arrow relation (read into
        memory if `materialize`), and the replacements made (start, end, new length); text without ML
        function calls comes back as it is."""
        splices = []
        if statement is None:
            if not (has_ml_keyword(text) and _is_ml_statement(text)):
                return text, splices
            statement = _parse(text)
        from sqlml.engine.data.inline_calls import replacements
        from sqlml.parser import MLFunction

        calls = [c for c in statement.find_all(MLFunction) if c.find_ancestor(MLFunction) is None]
        inline = {start: (end, sql) for start, end, sql in replacements(text, statement)}  # ML.<FN>() in expressions
        for call in sorted([*calls, *inline], key=lambda c: c if isinstance(c, int) else c.span[0], reverse=True):
            if isinstance(call, int):
                (start, (end, replacement)) = call, inline[call]
            else:
                replacement, (start, end) = self._relation(call, materialize), call.span
            text = text[:start] + replacement + text[end:]
            splices.append((start, end, len(replacement)))
        return text, splices

    def _relation(self, call, materialize: bool) -> str:
        """What replaces an ML table function call: the SQL it returned, or the relation it made, registered."""
        relation = registry.run(self._context, call)  # checked against the function's signature
        if isinstance(relation, str):  # SQL DuckDB runs itself
            return f"({relation})"
        if materialize and hasattr(relation, "read_all"):  # a RecordBatchReader
            relation = relation.read_all()
        view = f"__sqlml_{call.function.lower()}_{next(self._view_ids)}"
        self.duck.register(view, relation)
        self._views.append(view)
        return f'"{view}"'

    def _open_input(self, sql: str, batch_rows: int) -> pa.RecordBatchReader:
        """Stream an ML function's input query from a separate cursor (it may use ML functions too)."""
        sub = SessionCursor(self.session)
        self._inputs.append(sub)
        sub._follow(self.duck)
        sub._parameters = self._parameters
        sub._parameters.apply(sub.duck)
        origin = self._context.origins.get(sql)
        sub._context = sub._new_context(origin)
        planned, splices = sub._plan(sql)
        with located(sub.duck, planned, origin and origin.derive(0, splices)):
            return sub.duck.sql(planned).to_arrow_reader(batch_rows)

    def _follow(self, other: duckdb.DuckDBPyConnection) -> None:
        """Take the default catalog and schema (USE), search_path, time zone and division by zero of another
        cursor (a new cursor starts with the connection's defaults: only what differs is set)."""
        state = catalog.query(other, _SESSION_STATE_SQL)[0]
        if state == self.session.default_state:
            return
        database, schema, search_path, timezone, ieee = state
        self.duck.execute(f"USE {quote_identifier(database)}.{quote_identifier(schema)}")
        if search_path:
            self.duck.execute(f"SET search_path = {literal(search_path)}")
        self.duck.execute(f"SET TimeZone = {literal(timezone)}")
        self.duck.execute(f"SET ieee_floating_point_ops = {str(ieee).lower()}")

    def statements_of(self, sql: str) -> list[str]:
        """Each statement of `sql` as this cursor reads it (in its dialect), stripped; SqlSyntaxError if a token
        is unterminated."""
        return dialects.split(sql, self.dialect)

    # -- the last statement's result ----------------------------------------------------------------
    @property
    def description(self) -> list[tuple] | None:
        """(name, type_code, None, None, None, None, None) per column (type codes are DuckDB's types, equal to
        PEP 249's type objects), or None without a result set."""
        if not self._has_result:
            return None
        with self.translated():
            return self.duck.description

    @property
    def rowcount(self) -> int:
        """The rows the last INSERT/UPDATE/DELETE changed, else -1."""
        return self.duck.rowcount if self._has_result else -1

    def _fetch(self, method: str, *args):
        if not self._has_result:
            raise errors.InterfaceError("the last statement produced no result set")
        with self.translated():
            return getattr(self.duck, method)(*args)

    def _fetch_arrow(self, method: str, *args):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # DuckDB's warning that Arrow copies a DB-API result
            return self._fetch(method, *args)

    def fetchone(self) -> tuple | None:
        return self._fetch("fetchone")

    def fetchmany(self, size: int) -> list[tuple]:
        return self._fetch("fetchmany", size)

    def fetchall(self) -> list[tuple]:
        return self._fetch("fetchall")

    def fetch_arrow_table(self) -> pa.Table:
        """The rest of the result as a pyarrow.Table."""
        return self._fetch_arrow("to_arrow_table")

    def fetch_arrow_reader(self, batch_rows: int = 1 << 16) -> pa.RecordBatchReader:
        """The rest of the result as a pyarrow.RecordBatchReader (valid until the cursor's next statement)."""
        return self._fetch_arrow("to_arrow_reader", batch_rows)

    def fetch_df(self):
        """The rest of the result as a pandas DataFrame (needs pandas)."""
        return self._fetch_arrow("fetch_df")

    def duckdb_statements(self, sql: str) -> list[tuple[str, str]]:
        """DuckDB's own reading of a text without ML statements: (statement type: SELECT, SET, PRAGMA, CALL,
        EXPLAIN, ...; its text) per statement. A sqlml error if DuckDB cannot parse it."""
        with self.translated():
            return [(statement.type.name, statement.query) for statement in self.duck.extract_statements(sql)]

    def plain_statements(self, sql: str) -> list[tuple[int, str]] | None:
        """A text of DuckDB statements alone (no ML keyword), as DuckDB's own parser splits it, with no tokenizer
        of sqlml's loaded: (the line where each statement starts, after blanks and comments; its text from
        there). None if the text may hold ML statements or DuckDB cannot parse it."""
        if has_ml_keyword(sql):
            return None
        try:
            pieces = [query for _, query in self.duckdb_statements(sql)]
        except errors.Error:
            return None
        found, offset = [], 0
        for query in pieces:
            if not sql.startswith(query, offset):  # DuckDB gives each statement's text verbatim, in order
                return None
            start = offset + BLANKS_AND_COMMENTS.match(query).end()
            found.append((sql.count("\n", 0, start) + 1, sql[start : offset + len(query)].rstrip()))
            offset += len(query)
        return found

    # -- errors -------------------------------------------------------------------------------------
    def translated(self) -> errors_of.Translated:
        """A context re-raising anything from DuckDB or the engine as a sqlml (PEP 249) exception."""
        return errors_of.Translated(self)

    def _stream_errors(self) -> list[BaseException]:
        found = list(self._context.errors) if self._context else []
        for sub in self._inputs:
            found += sub._stream_errors()
        return found

    def release(self) -> None:
        """Drop the previous statement's result, relations and input cursors. Best effort: DuckDB refuses
        some of this inside an aborted transaction, and a leftover registration is harmless (unique name)."""
        if self._parameters.values:
            with suppress(duckdb.Error):
                self._parameters.clear(self.duck)
            self._parameters = Parameters()
        if not (self._views or self._inputs):
            return
        for cleanup in [self.duck.abort, *(functools.partial(self.duck.unregister, view) for view in self._views)]:
            with suppress(duckdb.Error):
                cleanup()
        for sub in self._inputs:
            sub.close()
        self._views, self._inputs, self._context = [], [], None

    def end_transaction(self, commit: bool) -> None:
        """COMMIT or ROLLBACK the transaction this cursor has open, if any."""
        with self.translated():
            try:
                self.duck.commit() if commit else self.duck.rollback()
            except duckdb.TransactionException as exc:
                if "no transaction is active" not in str(exc):
                    raise

    def interrupt(self) -> None:
        """Cancel the running statement from another thread: its DuckDB query and its long work (training
        stops at its next progress report)."""
        context = self._context
        if context is not None:
            context.progress.cancel()
        self.duck.interrupt()

    def close(self) -> None:
        self.release()
        self._has_result = False
        with suppress(duckdb.Error):
            self.duck.close()

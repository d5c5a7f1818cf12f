"""PEP 249 (DB-API 2.0) front end: `sqlml.connect()` -> Connection -> Cursor, over the Session API.

Transactions follow DuckDB's Python API: each statement commits on its own unless BEGIN opened a
transaction; `commit()` / `rollback()` end the transactions open on the connection's cursors.

`connect(..., dialect='bigquery')` reads statements as GoogleSQL (docs/bigquery.md): every cursor starts in the
connection's dialect, and `SET sqlml_dialect = ...` switches the cursor that runs it, as DuckDB's own SET
changes one cursor's session.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import duckdb

from sqlml.engine.session import ClusterSetting, Session, SessionCursor
from sqlml.errors import Error, InterfaceError, ProgrammingError, Warning

apilevel = "2.0"
threadsafety = 1  # threads may share the module, not connections
paramstyle = "qmark"

# PEP 249 type objects (equal to the type codes of `Cursor.description`: DuckDB's) and constructors
STRING, BINARY, NUMBER, DATETIME, ROWID = duckdb.STRING, duckdb.BINARY, duckdb.NUMBER, duckdb.DATETIME, duckdb.ROWID
Date, Time, Timestamp, Binary = datetime.date, datetime.time, datetime.datetime, bytes


def DateFromTicks(ticks: float) -> datetime.date:  # noqa: N802 - the names are fixed by PEP 249
    return Date(*time.localtime(ticks)[:3])


def TimeFromTicks(ticks: float) -> datetime.time:  # noqa: N802
    return Time(*time.localtime(ticks)[3:6])


def TimestampFromTicks(ticks: float) -> datetime.datetime:  # noqa: N802
    return Timestamp(*time.localtime(ticks)[:6])


class Cursor:
    """A DB-API cursor; statements may be plain DuckDB SQL or sqlml's ML statements."""

    def __init__(self, connection: Connection):
        self.connection = connection
        self._cursor: SessionCursor | None = connection._session.cursor()
        self._rowcount: int | None = None  # set by executemany; else read from DuckDB when asked
        self.arraysize = 1
        self.messages: list[tuple[type, str]] = []  # PEP 249's extension: (sqlml.Warning, notice) of the last statement

    def _open(self) -> SessionCursor:
        if self._cursor is None:
            raise InterfaceError("the cursor is closed")
        return self._cursor

    @property
    def description(self):
        """(name, type_code, None, None, None, None, None) per column, or None without a result set."""
        return None if self._cursor is None else self._cursor.description

    @property
    def rowcount(self) -> int:
        """Rows changed by the last INSERT/UPDATE/DELETE (summed over executemany), else -1."""
        if self._rowcount is not None:
            return self._rowcount
        return -1 if self._cursor is None else self._cursor.rowcount

    def execute(
        self, operation: str, parameters: Sequence[Any] | Mapping[str, Any] | None = None, *, dialect: str | None = None
    ) -> Cursor:
        """Run `operation`, read in `dialect` ('duckdb' or 'bigquery'; None: the cursor's own)."""
        cursor = self._open()
        self._rowcount, self.messages = None, []  # nothing of the previous statement survives a failure
        cursor.execute(operation, parameters, dialect)
        self.messages = [(Warning, notice) for notice in cursor.notices]
        return self

    def executemany(
        self,
        operation: str,
        seq_of_parameters: Iterable[Sequence[Any] | Mapping[str, Any]],
        *,
        dialect: str | None = None,
    ) -> Cursor:
        total = 0
        for parameters in seq_of_parameters:
            self.execute(operation, parameters, dialect=dialect)
            total += max(self.rowcount, 0)
        self._rowcount = total
        return self

    def fetchone(self) -> tuple | None:
        return self._open().fetchone()

    def fetchmany(self, size: int | None = None) -> list[tuple]:
        return self._open().fetchmany(self.arraysize if size is None else size)

    def fetchall(self) -> list[tuple]:
        return self._open().fetchall()

    def fetch_arrow_table(self):
        """The rest of the result as a pyarrow.Table."""
        return self._open().fetch_arrow_table()

    def fetch_df(self):
        """The rest of the result as a pandas DataFrame (needs pandas)."""
        return self._open().fetch_df()

    def setinputsizes(self, sizes) -> None:
        """Does nothing, as PEP 249 allows."""

    def setoutputsize(self, size, column=None) -> None:
        """Does nothing, as PEP 249 allows."""

    def __iter__(self):
        return iter(self.fetchone, None)

    def close(self) -> None:
        if self._cursor is not None:
            self._cursor.close()
            self._cursor = None
            self.connection._cursors.discard(self)

    def __enter__(self) -> Cursor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Connection:
    """A DB-API connection to one DuckDB database (a file, or ':memory:')."""

    def __init__(
        self,
        database: str = ":memory:",
        read_only: bool = False,
        config: dict | None = None,
        dialect: str = "duckdb",
        cluster: str | None = None,
        cluster_dir: str | None = None,
    ):
        if cluster is None and cluster_dir is not None:
            raise ProgrammingError("cluster_dir goes with cluster (or SET sqlml_cluster_dir, then SET sqlml_cluster)")
        setting = None if cluster is None else ClusterSetting.of(cluster, cluster_dir)
        self._session: Session | None = Session(database, read_only, config, dialect=dialect, cluster=setting)
        self._cursors: set[Cursor] = set()
        self._shortcut: Cursor | None = None

    def _live(self) -> Session:
        if self._session is None:
            raise InterfaceError("the connection is closed")
        return self._session

    def cursor(self) -> Cursor:
        self._live()
        cursor = Cursor(self)
        self._cursors.add(cursor)
        return cursor

    def execute(self, operation: str, parameters=None) -> Cursor:
        """Shortcut, as in DuckDB: the connection's own cursor, which has executed `operation`
        (the next shortcut call replaces its result)."""
        self._live()
        if self._shortcut is None or self._shortcut._cursor is None:
            self._shortcut = self.cursor()
        return self._shortcut.execute(operation, parameters)

    def _end_transactions(self, commit: bool) -> None:
        """End the transaction of every cursor that has one; the first error is raised after all tried."""
        self._live()
        failures = []
        for cursor in list(self._cursors):
            try:
                cursor._open().end_transaction(commit)
            except Error as exc:
                failures.append(exc)
        if failures:
            raise failures[0]

    def commit(self) -> None:
        self._end_transactions(commit=True)

    def rollback(self) -> None:
        self._end_transactions(commit=False)

    def close(self) -> None:
        if self._session is None:
            return
        for cursor in list(self._cursors):
            cursor.close()
        self._session.close()
        self._session = None

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, exc_type, *exc) -> None:
        self.close()


def connect(
    database: str = ":memory:",
    read_only: bool = False,
    config: dict | None = None,
    dialect: str = "duckdb",
    cluster: str | None = None,
    cluster_dir: str | None = None,
) -> Connection:
    """Open a connection; `database` is a DuckDB file path or ':memory:'; `dialect` the SQL its cursors read:
    'duckdb' (the default) or 'bigquery' (GoogleSQL); `cluster` a Dask cluster CREATE MODEL may train on: 'local'
    (one worker process per core on this machine) or a scheduler's address ('tcp://host:8786'), connected by the
    first statement that uses it, with `cluster_dir` the directory every worker reads staged data from (a
    temporary directory by default, for 'local' only). See docs/scale.md."""
    return Connection(database, read_only, config, dialect, cluster, cluster_dir)

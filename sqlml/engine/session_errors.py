"""How the Session reports errors: DuckDB's exceptions as sqlml's (PEP 249), a database file another process holds
in sqlml's terms, errors raised while a statement runs or its rows are fetched, and syntax error positions in
the text as written."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import duckdb

from sqlml import errors
from sqlml.engine.compiled.linear import DATA_ERROR_MARKER

if TYPE_CHECKING:
    from sqlml.engine.session import SessionCursor

_DUCKDB_ERRORS = [  # most specific first
    (duckdb.DataError, errors.DataError),
    (duckdb.IntegrityError, errors.IntegrityError),
    (duckdb.ProgrammingError, errors.ProgrammingError),
    (duckdb.NotSupportedError, errors.NotSupportedError),
    (duckdb.InternalError, errors.InternalError),
    (duckdb.OperationalError, errors.OperationalError),
    (duckdb.DatabaseError, errors.DatabaseError),
]


def translate(exc: duckdb.Error) -> errors.Error:
    """The sqlml (PEP 249) exception for a DuckDB one, with the same message."""
    cls = next((ours for theirs, ours in _DUCKDB_ERRORS if isinstance(exc, theirs)), errors.Error)
    return cls(str(exc))


_LOCKED = re.compile(
    r'Could not set lock on file "[^"]*+": Conflicting lock is held in (.*?) \(PID (\d+)\)'
    r"(\. However, you would be able to open this database in read-only mode)?"
)
_READ_ONLY_WAYS = (
    "sqlml -readonly FILE, sqlml serve FILE (read-only unless --read-write), sqlml.connect(FILE, read_only=True)"
)


def open_error(exc: duckdb.Error, database: str) -> errors.Error:
    """Why DuckDB cannot open `database`: a file another process holds is told in sqlml's terms (DuckDB's advice
    names its own CLI's flag); anything else as DuckDB says it."""
    locked = _LOCKED.search(str(exc))
    if locked is None:
        return translate(exc)
    holder = f"another process, {locked[1]} (PID {locked[2]}),"
    if locked[3]:
        return errors.OperationalError(
            f"cannot open {database} for writing: {holder} has it open read-only. DuckDB lets several processes "
            f"read a file, or one process write it: open it read-only too ({_READ_ONLY_WAYS}), or stop that "
            "process first"
        )
    return errors.OperationalError(
        f"cannot open {database}: {holder} has it open for writing, and DuckDB then lets no other process open "
        "it, not even read-only. Stop that process first (if it is sqlml serve --read-write, work through it "
        "with a PostgreSQL client instead)"
    )


class Translated:
    """The context of `SessionCursor.translated` (a class: it wraps every statement and fetch)."""

    __slots__ = ("cursor",)

    def __init__(self, cursor: SessionCursor):
        self.cursor = cursor

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type, exc, traceback) -> bool:
        if exc_type is None or issubclass(exc_type, errors.Error) or not issubclass(exc_type, Exception):
            return False
        if exc_type is RuntimeError and str(exc) == "Query interrupted":  # DuckDB's answer to Ctrl-C
            raise KeyboardInterrupt from None
        if issubclass(exc_type, duckdb.Error):
            if DATA_ERROR_MARKER in str(exc):  # raised by compiled SQL (engine/compiled/linear.py)
                raise errors.DataError(str(exc).split(DATA_ERROR_MARKER, 1)[1]) from None
            streamed = self.cursor._stream_errors()
            if streamed:
                raise (
                    streamed[0]
                    if isinstance(streamed[0], errors.Error)
                    else errors.InternalError(f"internal error while streaming: {streamed[0]!r}")
                ) from None
            raise translate(exc) from None
        raise errors.InternalError(f"internal error: {exc_type.__name__}: {exc}") from exc


@contextmanager
def positions_in(sql: str, offset: int) -> Iterator[None]:
    """Report the line and column of a syntax error in a statement starting at `offset` of `sql` as
    positions in `sql`."""
    try:
        yield
    except errors.SqlSyntaxError as exc:
        before = sql[:offset]
        line = exc.line + before.count("\n")
        col = exc.col + (offset - before.rfind("\n") - 1 if exc.line == 1 else 0)
        message = str(exc).rsplit(" (line ", 1)[0]
        raise errors.SqlSyntaxError(message, line, col) from None

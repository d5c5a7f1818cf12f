"""PEP 249 exception hierarchy shared by every sqlml layer (it imports nothing of sqlml), and the "did you
mean" hint of their messages."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """' Did you mean "x"?' for the known name closest to a mistyped one (case-insensitively), else ''."""
    by_lower = {k.lower(): k for k in known}
    close = difflib.get_close_matches(name.lower(), by_lower, n=1, cutoff=0.75)
    return f' Did you mean "{by_lower[close[0]]}"?' if close else ""


class Warning(Exception):  # noqa: A001 - the name is fixed by PEP 249
    """Important warnings, e.g. data truncation."""


class Error(Exception):
    """Base class of every error sqlml raises."""


class InterfaceError(Error):
    """Misuse of the DB-API interface itself (closed cursor, fetch before execute)."""


class DatabaseError(Error):
    """Errors related to the database."""


class DataError(DatabaseError):
    """Problems with the processed data: NaN features, a label with one class, no rows."""


class OperationalError(DatabaseError):
    """Errors of the database's operation, not necessarily under the user's control."""


class Cancelled(OperationalError):
    """The statement was cancelled (Ctrl-C, a server's cancel request) before it finished."""


class TransactionConflict(OperationalError):
    """A concurrent transaction changed the same model first; the statement changed nothing and can be retried
    (PostgreSQL's serialization_failure, SQLSTATE 40001)."""


class IntegrityError(DatabaseError):
    """Relational integrity is affected: a model name already taken."""


class InternalError(DatabaseError):
    """The engine reached a state it should not be in."""


class ProgrammingError(DatabaseError):
    """Syntax errors, unknown models/columns/options, wrong option types."""


class NotSupportedError(DatabaseError):
    """A feature that sqlml does not (yet) provide."""


class SqlSyntaxError(ProgrammingError):
    """A statement that does not parse; carries the 1-based line and column."""

    def __init__(self, message: str, line: int, col: int):
        super().__init__(f"{message} (line {line}, column {col})")
        self.line = line
        self.col = col

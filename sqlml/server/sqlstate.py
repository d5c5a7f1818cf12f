"""The SQLSTATE code (and, for syntax errors, the 1-based character position) of an error sqlml raised."""

from __future__ import annotations

import re

from sqlml import errors

# DuckDB's message prefixes (sqlml keeps DuckDB's message), most specific first
_BY_MESSAGE = [
    (re.compile(r"^Parser Error"), "42601"),
    (re.compile(r"^Catalog Error: (Table|View|Table Function) with name"), "42P01"),
    (re.compile(r"^Catalog Error: Schema with name"), "3F000"),
    (re.compile(r"^Catalog Error: (Scalar |Aggregate |Macro )?Function with name"), "42883"),
    (re.compile(r"^Catalog Error: .* already exists"), "42P07"),
    (re.compile(r"^Catalog Error"), "42704"),
    (re.compile(r"^Binder Error: Referenced column"), "42703"),
    (re.compile(r"^Binder Error"), "42P18"),
    (re.compile(r"^Conversion Error"), "22P02"),
    (re.compile(r"^Constraint Error"), "23505"),
    (re.compile(r"^Out of Range Error"), "22003"),
    (re.compile(r"^INTERRUPT Error"), "57014"),
    (re.compile(r"read-only mode|open read-only"), "25006"),
    (re.compile(r"^TransactionContext Error: Current transaction is aborted"), "25P02"),
    (re.compile(r"^TransactionContext Error: .*conflict", re.I), "40001"),
    (re.compile(r"^TransactionContext Error"), "25000"),
    (re.compile(r"^Permission Error|^EXPORT MODEL is not allowed|outside the export directory"), "42501"),
    # sqlml's own messages (sqlml.ProgrammingError, else 42000)
    (re.compile(r"^model \S+ does not exist"), "42704"),
    (re.compile(r"^schema \S+ does not exist"), "3F000"),
]
_BY_CLASS = [
    (errors.Cancelled, "57014"),
    (errors.TransactionConflict, "40001"),
    (errors.SqlSyntaxError, "42601"),
    (errors.IntegrityError, "23000"),
    (errors.DataError, "22000"),
    (errors.NotSupportedError, "0A000"),
    (errors.ProgrammingError, "42000"),
]
_CARET_LINE = re.compile(r"^LINE (\d+): (.*)\n( *)\^", re.M)


class ServerError(errors.DatabaseError):
    """An error the server itself reports, with its SQLSTATE."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def sqlstate(exc: errors.Error) -> str:
    if isinstance(exc, ServerError):
        return exc.code
    text = str(exc)
    for pattern, code in _BY_MESSAGE:
        if pattern.search(text):
            return code
    return next((code for cls, code in _BY_CLASS if isinstance(exc, cls)), "XX000")


def position(exc: errors.Error, sql: str) -> int | None:
    """Where in `sql` the error points: sqlml's syntax errors by line and column, DuckDB's by the caret under
    its quoted line (when that line is quoted whole)."""
    if isinstance(exc, errors.SqlSyntaxError):
        line, col = exc.line, exc.col
    else:
        match = _CARET_LINE.search(str(exc))
        if match is None or match.group(2).startswith("..."):
            return None
        line, col = int(match.group(1)), len(match.group(3)) - len(f"LINE {match.group(1)}: ") + 1
    lines = sql.split("\n")
    if not 1 <= line <= len(lines):
        return None
    return sum(len(text) + 1 for text in lines[: line - 1]) + col


def message(exc: errors.Error) -> str:
    """The error's message without DuckDB's quoted line and caret (they become the position)."""
    text = str(exc)
    return _CARET_LINE.split(text)[0].rstrip() if _CARET_LINE.search(text) else text

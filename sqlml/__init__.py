"""sqlml: BigQuery-ML-style SQL machine learning inside DuckDB.

The DB-API names (`connect`, `Connection`, ...) load the engine when first used (PEP 562), so `import sqlml`
stays quick and the `sqlml` command can report a Ctrl-C while the engine loads as one line.
"""

import sqlml.root  # noqa: F401 - the composition root: completes the engine's tables (EXPORT MODEL)
from sqlml.errors import (
    Cancelled,
    DatabaseError,
    DataError,
    Error,
    IntegrityError,
    InterfaceError,
    InternalError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
    SqlSyntaxError,
    TransactionConflict,
    Warning,
)

__version__ = "0.1.0"

_DBAPI = (
    "connect",
    "Connection",
    "Cursor",
    "apilevel",
    "paramstyle",
    "threadsafety",
    "STRING",
    "BINARY",
    "NUMBER",
    "DATETIME",
    "ROWID",
    "Date",
    "Time",
    "Timestamp",
    "Binary",
    "DateFromTicks",
    "TimeFromTicks",
    "TimestampFromTicks",
)

__all__ = [
    *_DBAPI,
    "Warning",
    "Error",
    "InterfaceError",
    "DatabaseError",
    "DataError",
    "OperationalError",
    "IntegrityError",
    "InternalError",
    "ProgrammingError",
    "NotSupportedError",
    "SqlSyntaxError",
    "Cancelled",
    "TransactionConflict",
]


def __getattr__(name: str):
    if name in _DBAPI:
        from sqlml import dbapi

        return getattr(dbapi, name)
    raise AttributeError(f"module 'sqlml' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_DBAPI})

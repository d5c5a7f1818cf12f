"""sqlml: BigQuery-ML-style SQL machine learning inside DuckDB."""

import sqlml.root  # noqa: F401 - the composition root: completes the engine's tables (EXPORT MODEL)
from sqlml.dbapi import (BINARY, DATETIME, NUMBER, ROWID, STRING, Binary, Connection, Cursor, Date, DateFromTicks,
                         Time, TimeFromTicks, Timestamp, TimestampFromTicks, apilevel, connect, paramstyle,
                         threadsafety)
from sqlml.errors import (Cancelled, DatabaseError, DataError, Error, IntegrityError, InterfaceError, InternalError,
                          NotSupportedError, OperationalError, ProgrammingError, SqlSyntaxError, TransactionConflict, Warning)

__version__ = "0.1.0"

__all__ = [
    "connect", "Connection", "Cursor", "apilevel", "paramstyle", "threadsafety",
    "STRING", "BINARY", "NUMBER", "DATETIME", "ROWID", "Date", "Time", "Timestamp", "Binary",
    "DateFromTicks", "TimeFromTicks", "TimestampFromTicks",
    "Warning", "Error", "InterfaceError", "DatabaseError", "DataError", "OperationalError", "IntegrityError",
    "InternalError", "ProgrammingError", "NotSupportedError", "SqlSyntaxError", "Cancelled",
    "TransactionConflict",
]

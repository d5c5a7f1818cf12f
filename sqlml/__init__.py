"""sqlml: BigQuery-ML-style SQL machine learning inside DuckDB."""

from sqlml.dbapi import Connection, Cursor, apilevel, connect, paramstyle, threadsafety
from sqlml.errors import (DatabaseError, DataError, Error, IntegrityError, InterfaceError, InternalError,
                          NotSupportedError, OperationalError, ProgrammingError, SqlSyntaxError, Warning)

__version__ = "0.1.0"

__all__ = [
    "connect", "Connection", "Cursor", "apilevel", "paramstyle", "threadsafety",
    "Warning", "Error", "InterfaceError", "DatabaseError", "DataError", "OperationalError", "IntegrityError",
    "InternalError", "ProgrammingError", "NotSupportedError", "SqlSyntaxError",
]

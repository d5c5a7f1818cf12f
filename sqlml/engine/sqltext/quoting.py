"""Names and values written into SQL text: identifiers double-quoted, values as DuckDB literals."""

from __future__ import annotations

import datetime
import decimal
import math
from typing import Any

from sqlml.errors import ProgrammingError


def quote_identifier(name: str) -> str:
    """`name` as a double-quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: Any) -> str:
    """`value` as a DuckDB SQL literal."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else f"'{value}'::DOUBLE"
    if isinstance(value, decimal.Decimal):
        return f"{value}"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "'" + "".join(f"\\x{b:02x}" for b in bytes(value)) + "'::BLOB"
    if isinstance(value, datetime.datetime):
        return f"'{value.isoformat()}'::{'TIMESTAMPTZ' if value.tzinfo else 'TIMESTAMP'}"
    if isinstance(value, datetime.date):
        return f"'{value.isoformat()}'::DATE"
    if isinstance(value, datetime.time):
        return f"'{value.isoformat()}'::TIME"
    raise ProgrammingError(f"cannot bind a parameter of type {type(value).__name__}")

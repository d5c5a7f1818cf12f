"""DuckDB result types as PostgreSQL type OIDs, Python values as PostgreSQL text, parameters as Python values.

Nested values (LIST, ARRAY, STRUCT, MAP, UNION) are sent as JSON text typed `json`; a type PostgreSQL has
no counterpart for is sent as text typed `text`.
"""

from __future__ import annotations

import datetime
import decimal
import json
import math
import struct
import uuid

BOOL, BYTEA, INT8, INT2, INT4, TEXT, JSON, FLOAT4, FLOAT8, VARCHAR = 16, 17, 20, 21, 23, 25, 114, 700, 701, 1043
DATE, TIME, TIMESTAMP, TIMESTAMPTZ, INTERVAL, NUMERIC, UUID = 1082, 1083, 1114, 1184, 1186, 1700, 2950

_BY_DUCKDB_ID = {
    "boolean": BOOL,
    "tinyint": INT2,
    "smallint": INT2,
    "integer": INT4,
    "bigint": INT8,
    "utinyint": INT2,
    "usmallint": INT4,
    "uinteger": INT8,
    "ubigint": NUMERIC,
    "hugeint": NUMERIC,
    "uhugeint": NUMERIC,
    "bignum": NUMERIC,
    "float": FLOAT4,
    "double": FLOAT8,
    "decimal": NUMERIC,
    "varchar": VARCHAR,
    "date": DATE,
    "time": TIME,
    "timestamp": TIMESTAMP,
    "timestamp_s": TIMESTAMP,
    "timestamp_ms": TIMESTAMP,
    "timestamp_ns": TIMESTAMP,
    "timestamp with time zone": TIMESTAMPTZ,
    "interval": INTERVAL,
    "blob": BYTEA,
    "uuid": UUID,
    "list": JSON,
    "array": JSON,
    "struct": JSON,
    "map": JSON,
    "union": JSON,
}
SIZES = {
    BOOL: 1,
    INT2: 2,
    INT4: 4,
    INT8: 8,
    FLOAT4: 4,
    FLOAT8: 8,
    DATE: 4,
    TIME: 8,
    TIMESTAMP: 8,
    TIMESTAMPTZ: 8,
    INTERVAL: 16,
    UUID: 16,
}


def oid_of(duckdb_type) -> int:
    """The PostgreSQL type OID for a DuckDB type (a DuckDBPyType from a cursor's description)."""
    if str(duckdb_type) == "JSON":
        return JSON
    return _BY_DUCKDB_ID.get(duckdb_type.id, TEXT)


def _json(value) -> str:
    """A nested value as JSON text: numbers (decimals too, exactly) as numbers; NaN, infinities and values JSON
    has no type for as strings in PostgreSQL's text format."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))}: {_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_json(v) for v in value) + "]"
    if isinstance(value, decimal.Decimal) and value.is_finite():
        return format(value, "f")
    if isinstance(value, (bool, int, str)) or value is None or isinstance(value, float) and math.isfinite(value):
        return json.dumps(value)
    return json.dumps(_text(value))


def _interval(value: datetime.timedelta) -> str:
    seconds = value.seconds + value.microseconds / 1e6
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{value.days} days {int(hours):02d}:{int(minutes):02d}:{seconds:09.6f}"


def _text(value) -> str:
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        return ("Infinity" if value > 0 else "-Infinity") if math.isinf(value) else repr(value)
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return _interval(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "\\x" + bytes(value).hex()
    if isinstance(value, (dict, list, tuple)):
        return _json(value)
    return str(value)


def encode(value) -> bytes | None:
    """A value in PostgreSQL's text format (None: SQL NULL)."""
    return None if value is None else _text(value).encode()


_EPOCH = datetime.datetime(2000, 1, 1)  # PostgreSQL's binary dates and timestamps count from it
_BINARY = {INT2: "!h", INT4: "!i", INT8: "!q", FLOAT4: "!f", FLOAT8: "!d"}
_FROM_TEXT = {
    INT2: int,
    INT4: int,
    INT8: int,
    FLOAT4: float,
    FLOAT8: float,
    NUMERIC: decimal.Decimal,
    DATE: datetime.date.fromisoformat,
    TIMESTAMP: datetime.datetime.fromisoformat,
    TIMESTAMPTZ: datetime.datetime.fromisoformat,
    UUID: uuid.UUID,
}


def decode_parameter(data: bytes | None, oid: int, binary: bool):
    """A bound parameter as a Python value for DuckDB (raises ValueError for one it cannot read)."""
    if data is None:
        return None
    if binary:
        if oid in _BINARY:
            return struct.unpack(_BINARY[oid], data)[0]
        if oid == BOOL:
            return data != b"\0"
        if oid == BYTEA:
            return bytes(data)
        if oid == DATE:
            return _EPOCH.date() + datetime.timedelta(days=struct.unpack("!i", data)[0])
        if oid in (TIMESTAMP, TIMESTAMPTZ):
            moment = _EPOCH + datetime.timedelta(microseconds=struct.unpack("!q", data)[0])
            return moment.replace(tzinfo=datetime.UTC) if oid == TIMESTAMPTZ else moment
        if oid in (TEXT, VARCHAR, JSON, 0):
            return data.decode()
        raise ValueError(f"binary parameters of type OID {oid} are not supported; send them as text")
    text = data.decode()
    if oid == BOOL:
        return text.lower() in ("t", "true", "1", "on", "yes", "y")
    if oid == BYTEA:
        return bytes.fromhex(text[2:]) if text.startswith("\\x") else text.encode()
    convert = _FROM_TEXT.get(oid)
    return convert(text.replace(" ", "T", 1) if oid in (TIMESTAMP, TIMESTAMPTZ) else text) if convert else text

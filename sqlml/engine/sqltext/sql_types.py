"""SQL type names for the Arrow types sqlml reads, so that messages speak the user's language (BIGINT, not
int64), and Arrow's own error texts translated the same way."""

from __future__ import annotations

import re

import pyarrow as pa

_SIMPLE = {
    pa.int8(): "TINYINT",
    pa.int16(): "SMALLINT",
    pa.int32(): "INTEGER",
    pa.int64(): "BIGINT",
    pa.uint8(): "UTINYINT",
    pa.uint16(): "USMALLINT",
    pa.uint32(): "UINTEGER",
    pa.uint64(): "UBIGINT",
    pa.float16(): "FLOAT",
    pa.float32(): "FLOAT",
    pa.float64(): "DOUBLE",
    pa.bool_(): "BOOLEAN",
    pa.string(): "VARCHAR",
    pa.large_string(): "VARCHAR",
    pa.string_view(): "VARCHAR",
    pa.binary(): "BLOB",
    pa.large_binary(): "BLOB",
    pa.date32(): "DATE",
    pa.date64(): "DATE",
    pa.null(): "NULL",
    pa.month_day_nano_interval(): "INTERVAL",
}
_DECIMAL_ALIAS = re.compile(r"decimal(?:32|64|128|256)?\((\d+), ?(\d+)\)")
_ARROW_TYPE_IN_TEXT = re.compile(
    r"\b(?:of type|from|to|as) (u?int\d+|double|float|halffloat|bool|string|large_string|"
    r"binary|date32\[day\]|timestamp\[\w+(?:, tz=[^\]]+)?\]|time64\[\w+\])"
)


def sql_type(arrow: pa.DataType | str) -> str:
    """DuckDB's name for an Arrow type (or a type alias as the catalog stores it: 'int64', 'double', ...)."""
    if isinstance(arrow, str):
        decimal = _DECIMAL_ALIAS.fullmatch(arrow)
        if decimal:
            return f"DECIMAL({decimal.group(1)},{decimal.group(2)})"
        try:
            arrow = pa.type_for_alias(arrow)
        except ValueError:
            return arrow.upper()
    if arrow in _SIMPLE:
        return _SIMPLE[arrow]
    if pa.types.is_timestamp(arrow):
        return "TIMESTAMP WITH TIME ZONE" if arrow.tz else "TIMESTAMP"
    if pa.types.is_time(arrow):
        return "TIME"
    if pa.types.is_decimal(arrow):
        return f"DECIMAL({arrow.precision},{arrow.scale})"
    if pa.types.is_dictionary(arrow):
        return sql_type(arrow.value_type)
    if pa.types.is_list(arrow) or pa.types.is_large_list(arrow) or pa.types.is_list_view(arrow):
        return f"{sql_type(arrow.value_type)}[]"
    if pa.types.is_fixed_size_list(arrow):
        return f"{sql_type(arrow.value_type)}[{arrow.list_size}]"
    if pa.types.is_struct(arrow):
        return "STRUCT(" + ", ".join(f"{f.name} {sql_type(f.type)}" for f in arrow) + ")"
    if pa.types.is_map(arrow):
        return f"MAP({sql_type(arrow.key_type)}, {sql_type(arrow.item_type)})"
    return str(arrow).upper()


def sql_message(text: str) -> str:
    """An Arrow error text with the Arrow type names in it written as SQL types."""
    return _ARROW_TYPE_IN_TEXT.sub(lambda m: m.group(0).replace(m.group(1), sql_type(m.group(1))), str(text))

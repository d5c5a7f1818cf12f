"""Binding DB-API parameters into the text of an ML statement (plain SQL gets them from DuckDB itself).

ML statements are split into several DuckDB queries (the outer query, each ML function's input), so their
parameters are rendered as SQL literals in place of `?` / `$n` / `$name` before planning.
"""

from __future__ import annotations

import datetime
import decimal
import math
from typing import Any, Mapping, Sequence

from sqlglot.tokens import TokenType

from sqlml.errors import ProgrammingError
from sqlml.parser import SqlmlDialect


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


def bind(sql: str, params: Sequence[Any] | Mapping[str, Any]) -> str:
    """`sql` with each `?`, `$n` or `$name` replaced by the literal of its parameter."""
    tokens = SqlmlDialect().tokenize(sql)
    pieces, cursor, next_position, used = [], 0, 0, set()
    for i, token in enumerate(tokens):
        if (token.token_type == TokenType.PLACEHOLDER and token.text == "?") or token.token_type == TokenType.QDCOLON:
            key, start, end = next_position, token.start, token.start  # `?::type` is a placeholder and a cast
            next_position += 1
        elif token.token_type == TokenType.PARAMETER and i + 1 < len(tokens) \
                and tokens[i + 1].start == token.end + 1:
            name = tokens[i + 1].text
            key, start, end = (int(name) - 1 if name.isdigit() else name), token.start, tokens[i + 1].end
        else:
            continue
        try:
            value = params[key]
        except (KeyError, IndexError, TypeError):
            raise ProgrammingError(f"no value for parameter {sql[start:end + 1]} "
                                   f"({len(params)} parameter(s) given)") from None
        used.add(key)
        pieces += [sql[cursor:start], literal(value)]
        cursor = end + 1
    if not isinstance(params, Mapping) and used != set(range(len(params))):
        raise ProgrammingError(f"the statement uses {len(used)} parameter(s) but {len(params)} were given")
    return "".join(pieces) + sql[cursor:]

"""GoogleSQL (BigQuery) text -> the same statements in sqlml's DuckDB dialect.

Interface stub: the BigQuery dialect of a Session splits its text with `split_bigquery` and runs
`to_duckdb(statement)` of each piece. (Being replaced by a translator built on sqlglot's BigQuery parser
with the ML statements, and a DuckDB generator that follows BigQuery's meaning.)"""

from __future__ import annotations

import sqlglot
from sqlglot.errors import ParseError, TokenError

from sqlml.errors import SqlSyntaxError


def split_bigquery(sql: str) -> list[str]:
    """Each GoogleSQL statement of `sql` (original text, stripped); SqlSyntaxError for an unterminated token."""
    try:
        tokens = sqlglot.Dialect.get_or_raise("bigquery").tokenize(sql)
    except TokenError as error:
        raise SqlSyntaxError(f"Invalid or unterminated token: {error}", 1, 1) from None
    pieces, start = [], 0
    for token in tokens:
        if token.token_type == sqlglot.TokenType.SEMICOLON:
            pieces.append(sql[start : token.start])
            start = token.end + 1
    pieces.append(sql[start:])
    return [piece.strip() for piece in pieces if piece.strip()]


def to_duckdb(statement: str) -> str:
    """ONE GoogleSQL statement as sqlml's DuckDB dialect runs it; SqlSyntaxError (line/col in `statement`)."""
    try:
        return sqlglot.transpile(statement, read="bigquery", write="duckdb")[0]
    except ParseError as error:
        details = error.errors[0] if error.errors else {}
        raise SqlSyntaxError(
            details.get("description") or str(error), details.get("line") or 1, details.get("col") or 1
        ) from None

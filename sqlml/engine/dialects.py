"""The SQL dialects a session reads: DuckDB's (the default) and BigQuery's GoogleSQL.

A cursor reads its statements in one dialect. In 'bigquery' each GoogleSQL statement is translated to sqlml's
DuckDB dialect (`parser/bigquery.py`) and then runs on the DuckDB path. The switch is one of sqlml's settings
(engine/settings.py), read in either dialect: `SET sqlml_dialect = 'bigquery'` (or `TO`), `RESET sqlml_dialect`
(back to the dialect the connection started in), `SHOW sqlml_dialect`. In the default dialect, a syntax or binding error on text that
reads as GoogleSQL gets a hint that names the switch (`hinted`); the hint's checks run only on errors.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial

from sqlml import errors

DEFAULT = "duckdb"
DIALECTS = (DEFAULT, "bigquery")
SETTING = "sqlml_dialect"

HINT = (
    "\nHint: if this is GoogleSQL (BigQuery's dialect: \"strings\", `names`, BigQuery's functions), note that sqlml "
    f"reads DuckDB's dialect by default; switch with SET {SETTING} = 'bigquery', sqlml.connect(..., dialect='bigquery'), "
    "`sqlml --dialect bigquery`, `sqlml serve --dialect bigquery` or the SQLAlchemy URL's ?dialect=bigquery"
)
_TRANSLATED = (
    "\n(the statement ran as this DuckDB SQL, translated from GoogleSQL: the error's positions are in it, not in "
    "the statement as written)\n"
)
_DUCKDB_ERROR = re.compile(r"[A-Z][A-Za-z ]*Error: ")  # DuckDB's messages: "Binder Error: ...", "Parser Error: ..."
_LINE_BLOCK = re.compile(r"\n\nLINE \d+: .*\n *\^+\s*$")  # DuckDB's quoted line and caret, ending a message


def _added(exc: Exception, extra: str) -> str:
    """The error's message with `extra` added before DuckDB's LINE block (front ends may show that as a
    position), else at its end."""
    message = str(exc)
    block = _LINE_BLOCK.search(message)
    at = block.start() if block else len(message)
    return message[:at] + extra + message[at:]


def checked(name: object) -> str:
    """`name` as a dialect's name (case-insensitive); ProgrammingError listing the dialects for another."""
    if isinstance(name, str) and name.lower() in DIALECTS:
        return name.lower()
    raise errors.ProgrammingError(
        f"unknown SQL dialect {name!r}: sqlml reads {' or '.join(repr(d) for d in DIALECTS)} (the default: {DEFAULT!r})"
    )


def split(sql: str, dialect: str) -> list[str]:
    """Each statement of `sql` read in `dialect` (its text as written, stripped)."""
    if dialect == DEFAULT:
        from sqlml.parser import split_statements

        return split_statements(sql)
    from sqlml.parser.bigquery import split_bigquery

    return split_bigquery(sql)


def to_duckdb(statement: str, cursor=None) -> str:
    """One GoogleSQL statement in sqlml's DuckDB dialect; SqlSyntaxError positions are in `statement`. A wildcard
    table reads the tables of the database of `cursor` (a SessionCursor)."""
    from sqlml.parser.bigquery import to_duckdb as translate

    return translate(statement, None if cursor is None else partial(_shards, cursor))


# the tables and views of a schema whose name starts with a prefix (case-insensitive, as DuckDB's names) and is
# longer, in name order, with their columns: what a wildcard table `dataset.prefix*` matches
_SHARDS = """
SELECT c.table_name, v.view_name IS NOT NULL, list(c.column_name ORDER BY c.column_index),
  list(c.data_type ORDER BY c.column_index)
FROM duckdb_columns() AS c
LEFT JOIN duckdb_views() AS v
  ON v.database_name = c.database_name AND v.schema_name = c.schema_name AND v.view_name = c.table_name
WHERE lower(c.database_name) = lower(coalesce(nullif($catalog, ''), current_database()))
  AND lower(c.schema_name) = lower(coalesce(nullif($schema, ''), current_schema()))
  AND starts_with(lower(c.table_name), lower($prefix)) AND length(c.table_name) > length($prefix)
  AND NOT coalesce(v.internal, false)
GROUP BY c.table_name, v.view_name
ORDER BY c.table_name
"""


def _shards(cursor, catalog: str, schema: str, prefix: str) -> list:
    """The `Shard`s of a wildcard table, read from the DuckDB catalog of `cursor` (a SessionCursor)."""
    from sqlml.parser.wildcard_tables import Shard

    with cursor.translated():
        found = cursor.duck.execute(_SHARDS, {"catalog": catalog, "schema": schema, "prefix": prefix}).fetchall()
    return [Shard(name, tuple(zip(columns, types, strict=True)), view) for name, view, columns, types in found]


@contextmanager
def translated_from(duckdb_sql: str) -> Iterator[None]:
    """DuckDB's errors of running `duckdb_sql`, translated from a GoogleSQL statement, and syntax errors in it show
    the translation: their positions (DuckDB's LINE block, a syntax error's line and column) are in it, not in the
    user's text."""
    try:
        yield
    except errors.SqlSyntaxError as exc:
        raise errors.ProgrammingError(f"{exc}{_TRANSLATED}{duckdb_sql}") from None
    except errors.Error as exc:
        if _DUCKDB_ERROR.match(str(exc)):  # sqlml's own errors name the option or part at fault, not a position
            exc.args = (_added(exc, _TRANSLATED + duckdb_sql),)
        raise


_QUOTED_NOT_FOUND = re.compile(r'(?:column|table|name) "([^"]+)"|with name (\w+) does not exist', re.IGNORECASE)
_GOOGLESQL_FUNCTIONS = {
    "safe_divide",
    "safe_multiply",
    "safe_add",
    "safe_subtract",
    "safe_negate",
    "farm_fingerprint",
    "parse_date",
    "parse_datetime",
    "parse_timestamp",
    "parse_time",
    "format_date",
    "format_datetime",
    "format_timestamp",
    "format_time",
    "generate_array",
    "generate_date_array",
    "countif",
    "safe_cast",
    "timestamp_sub",
    "timestamp_add",
    "timestamp_diff",
    "datetime_diff",
    "datetime_add",
    "datetime_sub",
    "regexp_contains",
    "to_json_string",
    "approx_quantiles",
}
_GOOGLESQL_TEXT = re.compile(r"`|\*\s*EXCEPT\s*\(|\bSAFE\.\w+\s*\(|zero-length delimited identifier", re.IGNORECASE)


def reads_as_googlesql(exc: errors.Error, sql: str) -> bool:
    """Whether DuckDB's (or sqlml's parser's) refusal of `sql` looks like GoogleSQL meeting DuckDB's dialect:
    backticks, `* EXCEPT (`, SAFE. functions, "" or a "double-quoted" name the error could not find (a string
    in GoogleSQL), a function only GoogleSQL has."""
    message = str(exc)
    if _GOOGLESQL_TEXT.search(sql) or "zero-length delimited identifier" in message:
        return True
    for quoted, function in _QUOTED_NOT_FOUND.findall(message):
        if quoted and f'"{quoted}"' in sql or function.lower() in _GOOGLESQL_FUNCTIONS:
            return True
    return False


def hinted(exc: errors.ProgrammingError, sql: str) -> None:
    """Add the dialect hint to the message of an error on `sql` in the default dialect, if `sql` reads as
    GoogleSQL."""
    if HINT not in str(exc) and reads_as_googlesql(exc, sql):
        exc.args = (_added(exc, HINT),)

"""What PostgreSQL clients ask about the server and its catalog, answered over DuckDB.

DuckDB emulates much of `pg_catalog` (pg_class, pg_namespace, pg_attribute, pg_type, format_type,
pg_table_is_visible, ...) and has `information_schema`. What it lacks is supplied three ways:
- `answer()`: PostgreSQL settings (`SHOW server_version`, ...), settings DuckDB does not have (`SET
  extra_float_digits = 3`) and queries of catalog tables DuckDB does not have (pg_policy, pg_trigger, ...:
  no rows) are answered without DuckDB;
- `SETUP_SQL`: temporary macros each client's cursor gets (version(), pg_get_userbyid(), ...), and table
  macros standing for pg_class and pg_attribute as PostgreSQL has them;
- `rewrite()`: PostgreSQL-only syntax psql's describe queries use (`OPERATOR(pg_catalog.~)`,
  `COLLATE pg_catalog.default`, `'t'::regclass`, `::pg_catalog.regtype::pg_catalog.text`) becomes DuckDB's.
"""

from __future__ import annotations

import re

import duckdb

import sqlml

SERVER_VERSION = "15.0"
VERSION = f"PostgreSQL {SERVER_VERSION} (sqlml {sqlml.__version__} on DuckDB {duckdb.__version__})"

# PostgreSQL settings clients read, by lower-case name; those sent at startup are STARTUP_PARAMETERS
SETTINGS = {
    "server_version": SERVER_VERSION, "server_version_num": "150000", "server_encoding": "UTF8",
    "client_encoding": "UTF8", "datestyle": "ISO, MDY", "intervalstyle": "postgres", "integer_datetimes": "on",
    "standard_conforming_strings": "on", "is_superuser": "off", "transaction_isolation": "serializable",
    "transaction isolation level": "serializable", "default_transaction_read_only": "off",
    "max_identifier_length": "63", "lc_collate": "C", "lc_ctype": "C", "application_name": "",
}
STARTUP_PARAMETERS = {"server_version": SERVER_VERSION, "server_encoding": "UTF8", "client_encoding": "UTF8",
                      "DateStyle": "ISO, MDY", "IntervalStyle": "postgres", "integer_datetimes": "on",
                      "standard_conforming_strings": "on", "is_superuser": "off", "application_name": "",
                      "TimeZone": "UTC"}
# settings PostgreSQL clients set that mean nothing to DuckDB: SET/RESET of these succeeds and does nothing
IGNORED_SETTINGS = {"client_encoding", "extra_float_digits", "application_name", "datestyle", "intervalstyle",
                    "standard_conforming_strings", "statement_timeout", "lock_timeout", "client_min_messages",
                    "idle_in_transaction_session_timeout", "bytea_output", "jit", "default_transaction_isolation"}

_MACROS = {
    "version": f"() AS '{VERSION}'",
    "pg_get_userbyid": "(role_oid) AS 'sqlml'",
    "pg_encoding_to_char": "(encoding) AS 'UTF8'",
    "pg_backend_pid": "() AS 0",
    # by the PostgreSQL type OIDs pg_type and sqlml_pg_attribute use (DuckDB's own takes its internal ids)
    "format_type": "(type_id, modifier) AS coalesce((SELECT min(typname) FROM pg_catalog.pg_type WHERE oid = type_id),"
                   " pg_catalog.format_type(type_id, NULL)) || CASE WHEN modifier > 0 THEN concat('(', modifier // 1000,"
                   " ',', modifier % 1000, ')') ELSE '' END",
    "pg_get_expr": "(node, relation_oid) AS node, (node, relation_oid, pretty) AS node",
    "pg_get_indexdef": "(index_oid, column_no := 0, pretty := false) AS NULL",
    "pg_get_statisticsobjdef_columns": "(oid) AS NULL",
    "pg_relation_is_publishable": "(oid) AS false",
    "pg_get_partkeydef": "(oid) AS NULL",
    "pg_total_relation_size": "(oid) AS 0",
    "pg_relation_size": "(oid) AS 0",
}
# catalog tables as PostgreSQL clients read them, as temporary table macros sqlml_<table>() (a view would show
# in the catalog itself): pg_class with the
# columns psql reads that DuckDB's lacks; pg_attribute typed by the OIDs pg_type has (DuckDB's by its own ids)
_TABLES = {
    "pg_class": "SELECT *, false AS relforcerowsecurity FROM pg_catalog.pg_class",
    "pg_attribute": "SELECT a.* REPLACE (coalesce(m.pg_oid, a.atttypid) AS atttypid) FROM pg_catalog.pg_attribute a "
                    "LEFT JOIN (SELECT type_oid, max(pg_catalog.map_to_pg_oid(type_name)) AS pg_oid FROM duckdb_types() "
                    "GROUP BY type_oid) m ON m.type_oid = a.atttypid",
}
# catalog tables of what DuckDB does not have (policies, triggers, inheritance, publications, roles, ...): a
# SELECT that reads one of them other than by LEFT JOIN (psql's \d asks about each) has no rows
_ABSENT = re.compile(r"(LEFT\s+(?:OUTER\s+)?)?(?:\bFROM|,|\bJOIN)\s+pg_catalog\s*\.\s*(?:pg_policy|pg_statistic_ext|"
                     r"pg_publication\w*|pg_inherits|pg_trigger|pg_rewrite|pg_partitioned_table|pg_roles|pg_user|"
                     r"pg_auth_members|pg_extension|pg_foreign_\w+|pg_event_trigger)\b", re.I)
SETUP_SQL = [f"CREATE OR REPLACE TEMP MACRO {name}{body}" for name, body in _MACROS.items()] + \
            [f"CREATE OR REPLACE TEMP MACRO sqlml_{name}() AS TABLE {query}" for name, query in _TABLES.items()]

_SHOW = re.compile(r"^\s*SHOW\s+(?:ALL\b|(\w+(?:\s+\w+){0,2}))\s*;?\s*$", re.I)
_SET = re.compile(r"^\s*(?:SET\s+(?:SESSION\s+|LOCAL\s+)?(\w+)\s*(?:=|\bTO\b)|RESET\s+(\w+))", re.I)
_SET_CHARACTERISTICS = re.compile(r"^\s*SET\s+SESSION\s+CHARACTERISTICS\b", re.I)

_REWRITES = [
    (re.compile(r"OPERATOR\s*\(\s*pg_catalog\s*\.\s*([~!*<>=]+)\s*\)", re.I), r"\1"),
    (re.compile(r"\s+COLLATE\s+pg_catalog\s*\.\s*\"?default\"?", re.I), ""),
    (re.compile(r"('(?:[^']|'')*')\s*::\s*(?:pg_catalog\s*\.\s*)?regclass\b", re.I),
     r"(SELECT oid FROM pg_catalog.pg_class WHERE relname = \1)"),
    (re.compile(r"(\w+(?:\.\w+)?)\s*::\s*(?:pg_catalog\s*\.\s*)?regtype\s*::\s*(?:pg_catalog\s*\.\s*)?text\b", re.I),
     r"pg_catalog.format_type(\1, NULL)"),
    (re.compile(r"::\s*(?:pg_catalog\s*\.\s*)?(?:regclass|regtype|regproc|regnamespace)\b", re.I), "::BIGINT"),
    (re.compile(r"\bpg_catalog\s*\.\s*(" + "|".join(_MACROS) + r")\s*\(", re.I), r"\1("),
    (re.compile(r"\bpg_catalog\s*\.\s*(" + "|".join(_TABLES) + r")\b(?!\s*\()", re.I), r"sqlml_\1()"),
]
_NEEDS_REWRITE = re.compile(r"pg_catalog|::\s*reg|version\s*\(", re.I)


def answer(sql: str) -> tuple[list[str], list[tuple], str] | None:
    """(column names, rows, command tag) of a statement answered here, else None."""
    show = _SHOW.match(sql)
    if show and show.group(1) and show.group(1).lower() in SETTINGS:
        name = show.group(1).lower()
        return [name], [(SETTINGS[name],)], "SHOW"
    setting = _SET.match(sql)
    if setting and (setting.group(1) or setting.group(2)).lower() in IGNORED_SETTINGS:
        return [], [], "SET" if setting.group(1) else "RESET"
    if _SET_CHARACTERISTICS.match(sql):
        return [], [], "SET"
    if sql.lstrip()[:6].upper() == "SELECT" and any(not m.group(1) for m in _ABSENT.finditer(sql)):
        return ["none"], [], "SELECT"
    return None


def rewrite(sql: str) -> str:
    """`sql` with PostgreSQL-only catalog syntax made DuckDB's (text without any comes back as it is)."""
    if not _NEEDS_REWRITE.search(sql):
        return sql
    for pattern, replacement in _REWRITES:
        sql = pattern.sub(replacement, sql)
    return sql

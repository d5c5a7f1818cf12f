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
    "default_transaction_read_only": "off",
    "max_identifier_length": "63", "lc_collate": "C", "lc_ctype": "C", "application_name": "",
}
# settings SHOW names by other words
_SHOW_ALIASES = {"transaction isolation level": "transaction_isolation"}
STARTUP_PARAMETERS = {"server_version": SERVER_VERSION, "server_encoding": "UTF8", "client_encoding": "UTF8",
                      "DateStyle": "ISO, MDY", "IntervalStyle": "postgres", "integer_datetimes": "on",
                      "standard_conforming_strings": "on", "is_superuser": "off", "application_name": "",
                      "TimeZone": "UTC"}
# settings PostgreSQL clients set that mean nothing to DuckDB: SET/RESET of these succeeds and does nothing
IGNORED_SETTINGS = {"client_encoding", "extra_float_digits", "application_name", "datestyle", "intervalstyle",
                    "standard_conforming_strings", "statement_timeout", "lock_timeout", "client_min_messages",
                    "idle_in_transaction_session_timeout", "bytea_output", "jit", "default_transaction_isolation"}

# PostgreSQL's format_type names, by pg_type's typname (clients such as SQLAlchemy map these names to types)
_TYPE_NAMES = {"int2": "smallint", "int4": "integer", "int8": "bigint", "float4": "real",
               "float8": "double precision", "varchar": "character varying", "bpchar": "character", "bool": "boolean",
               "timestamp": "timestamp without time zone", "timestamptz": "timestamp with time zone",
               "time": "time without time zone", "timetz": "time with time zone"}
_MACROS = {
    "sqlml_type_names": "() AS MAP {" + ", ".join(f"'{k}': '{v}'" for k, v in _TYPE_NAMES.items()) + "}",
    "version": f"() AS '{VERSION}'",
    "pg_get_userbyid": "(role_oid) AS 'sqlml'",
    "pg_encoding_to_char": "(encoding) AS 'UTF8'",
    "pg_backend_pid": "() AS 0",
    # PostgreSQL's: the relation's schema is on the search path (DuckDB's is always true)
    "pg_table_is_visible": "(rel_oid) AS EXISTS (SELECT 1 FROM pg_catalog.pg_class vc JOIN pg_catalog.pg_namespace vn "
                           "ON vn.oid = vc.relnamespace WHERE vc.oid = rel_oid "
                           "AND list_contains(current_schemas(true), vn.nspname))",
    "to_regtype": "(regtype_name) AS (SELECT min(oid) FROM pg_catalog.pg_type WHERE typname = regtype_name)",
    # by the PostgreSQL type OIDs pg_type and sqlml_pg_attribute use (DuckDB's own takes its internal ids)
    "format_type": "(type_id, modifier) AS coalesce((SELECT min(coalesce(sqlml_type_names()[typname], typname)) "
                   "FROM pg_catalog.pg_type WHERE oid = type_id),"
                   " pg_catalog.format_type(type_id, NULL)) || CASE WHEN modifier > 0 THEN concat('(', modifier // 1000,"
                   " ',', modifier % 1000, ')') ELSE '' END",
    "pg_get_expr": "(node, relation_oid) AS node, (node, relation_oid, pretty) AS node",
    "pg_get_indexdef": "(index_oid, column_no := 0, pretty := false) AS NULL",
    "pg_get_statisticsobjdef_columns": "(oid) AS NULL",
    "pg_relation_is_publishable": "(oid) AS false",
    "pg_get_partkeydef": "(oid) AS NULL",
    "pg_total_relation_size": "(oid) AS 0",
    "pg_relation_size": "(oid) AS 0",
    "pg_get_serial_sequence": "(table_name, column_name) AS NULL",  # DuckDB has no serial columns
    "pg_collation_is_visible": "(oid) AS true",
}
# catalog tables as PostgreSQL clients read them, as temporary table macros sqlml_<table>() (a view would show
# in the catalog itself): pg_class with the
# columns psql reads that DuckDB's lacks; pg_attribute typed by the OIDs pg_type has (DuckDB's by its own ids)
_TABLES = {
    "pg_class": "SELECT *, false AS relforcerowsecurity FROM pg_catalog.pg_class",
    "pg_collation": "SELECT *, NULL::BIGINT AS collnamespace FROM pg_catalog.pg_collation",
    "pg_database": "SELECT *, 10 AS datdba, 6 AS encoding, 'c' AS datlocprovider, 'C' AS datcollate, "
                   "'C' AS datctype, NULL AS daticulocale, NULL::VARCHAR[] AS datacl FROM pg_catalog.pg_database "
                   "WHERE datname NOT IN ('system', 'temp')",
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

_REPLACED = "|".join(_TABLES)
_NOT_ALIASES = ("(?:WHERE|JOIN|LEFT|RIGHT|INNER|FULL|CROSS|NATURAL|ON|USING|GROUP|ORDER|HAVING|LIMIT|OFFSET|UNION|"
                "EXCEPT|INTERSECT|WINDOW|QUALIFY|FETCH|FOR)")
_REWRITES = [
    (re.compile(r"OPERATOR\s*\(\s*pg_catalog\s*\.\s*([~!*<>=]+)\s*\)", re.I), r"\1"),
    (re.compile(r"\s+COLLATE\s+pg_catalog\s*\.\s*\"?default\"?", re.I), ""),
    (re.compile(r"('(?:[^']|'')*')\s*::\s*(?:pg_catalog\s*\.\s*)?regclass\b", re.I),
     r"(SELECT oid FROM pg_catalog.pg_class WHERE relname = \1)"),
    (re.compile(r"(\w+(?:\.\w+)?)\s*::\s*(?:pg_catalog\s*\.\s*)?regtype\s*::\s*(?:pg_catalog\s*\.\s*)?text\b", re.I),
     r"pg_catalog.format_type(\1, NULL)"),
    (re.compile(r"::\s*(?:pg_catalog\s*\.\s*)?(?:regclass|regtype|regproc|regnamespace)\b", re.I), "::BIGINT"),
    (re.compile(r"\bAS\s+(?:pg_catalog\s*\.\s*)?(?:regclass|regtype|regproc|regnamespace)\s*\)", re.I), "AS BIGINT)"),
    (re.compile(r"\b(?:pg_catalog\s*\.\s*)?json_build_object\s*\(", re.I), "json_object("),  # same arguments
    # ours, and DuckDB's pg_catalog.array_to_string (which refuses every argument; the unqualified one works)
    (re.compile(r"\bpg_catalog\s*\.\s*(" + "|".join([*_MACROS, "array_to_string"]) + r")\s*\(", re.I), r"\1("),
    # columns qualified by schema and table (SQLAlchemy's pg_catalog.pg_class.relname), which DuckDB does not
    # bind, by the table's name; the replaced tables by their macro, under the table's own name if unaliased
    (re.compile(r"\bpg_catalog\s*\.\s*(pg_\w+)\s*\.\s*(\w+)", re.I), r"\1.\2"),
    (re.compile(r"\bpg_catalog\s*\.\s*(" + _REPLACED + r")\b(?=\s*(?:AS\b|(?!" + _NOT_ALIASES + r"\b)[a-z_]))", re.I),
     r"sqlml_\1()"),
    (re.compile(r"\bpg_catalog\s*\.\s*(" + _REPLACED + r")\b(?!\s*\()", re.I), r"sqlml_\1() AS \1"),
]
_NEEDS_REWRITE = re.compile(r"pg_catalog|::\s*reg|version\s*\(", re.I)


def answer(sql: str) -> tuple[list[str], list[tuple], str] | None:
    """(column names, rows, command tag) of a statement answered here, else None."""
    show = _SHOW.match(sql)
    name = " ".join(show.group(1).lower().split()) if show and show.group(1) else ""
    name = _SHOW_ALIASES.get(name, name)
    if name in SETTINGS:
        return [name], [(SETTINGS[name],)], "SHOW"
    setting = _SET.match(sql)
    if setting and (setting.group(1) or setting.group(2)).lower() in IGNORED_SETTINGS:
        return [], [], "SET" if setting.group(1) else "RESET"
    if _SET_CHARACTERISTICS.match(sql):
        return [], [], "SET"
    if sql.lstrip()[:6].upper() == "SELECT" and any(not m.group(1) for m in _ABSENT.finditer(sql)):
        return ["none"], [], "SELECT"
    return None


_CALL = re.compile(r'^(?:"?\w+"?\.)*"?(\w+)"?\(.*\)$', re.S)
_CALL_NAMES = {"count_star": "count"}


def column_name(name: str) -> str:
    """A result column's name as PostgreSQL gives it: a function call (DuckDB names it as written,
    `"version"()`) is named by its function (`version`)."""
    call = _CALL.match(name)
    return name if call is None else _CALL_NAMES.get(call.group(1), call.group(1))


def rewrite(sql: str) -> str:
    """`sql` with PostgreSQL-only catalog syntax made DuckDB's (text without any comes back as it is)."""
    if not _NEEDS_REWRITE.search(sql):
        return sql
    for pattern, replacement in _REWRITES:
        sql = pattern.sub(replacement, sql)
    return sql

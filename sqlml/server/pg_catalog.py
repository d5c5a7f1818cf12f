"""What PostgreSQL clients ask about the server and its catalog, answered over DuckDB.

DuckDB emulates much of `pg_catalog` (pg_class, pg_namespace, pg_attribute, pg_type, format_type,
pg_table_is_visible, ...) and has `information_schema`. What it lacks is supplied three ways:
- `answer()`: PostgreSQL settings (`SHOW server_version`, ...), settings DuckDB does not have (`SET
  extra_float_digits = 3`) and queries of catalog tables DuckDB does not have (pg_policy, pg_trigger, ...:
  no rows) are answered without DuckDB;
- `setup_sql()`: temporary macros each client's cursor gets (version(), pg_get_userbyid(), pg_get_indexdef(),
  the set-returning _pg_expandarray() JDBC drivers use, ...), and table macros standing for catalog tables as
  PostgreSQL has them: pg_class, pg_attribute, pg_index and pg_constraint (primary keys, unique and foreign
  keys from duckdb_constraints(), numbered as PostgreSQL numbers columns), pg_proc, pg_roles, pg_settings;
- `rewrite()`: PostgreSQL-only syntax psql's describe queries use (`OPERATOR(pg_catalog.~)`,
  `COLLATE pg_catalog.default`, `'t'::regclass`, `::pg_catalog.regtype::pg_catalog.text`) becomes DuckDB's,
  and catalog tables and functions named by schema (`pg_catalog.pg_class`, `information_schema._pg_expandarray`)
  become those macros.

A client's text is read in time linear in its length (it can be as long as --max-message-bytes): by sqlglot's
tokenizer, in Python (so other clients' threads run meanwhile), then one pass over the tokens; the few regular
expressions left never backtrack, and those that search the whole text do it a slice at a time.
"""

from __future__ import annotations

import re

import duckdb
from sqlglot.dialects.duckdb import DuckDB
from sqlglot.errors import TokenError
from sqlglot.tokens import Token, TokenType

import sqlml
from sqlml.engine.session import search_in_slices

SERVER_VERSION = "15.0"
VERSION = f"PostgreSQL {SERVER_VERSION} (sqlml {sqlml.__version__} on DuckDB {duckdb.__version__})"

# PostgreSQL settings clients read, by lower-case name; those sent at startup are STARTUP_PARAMETERS
SETTINGS = {
    "server_version": SERVER_VERSION,
    "server_version_num": "150000",
    "server_encoding": "UTF8",
    "client_encoding": "UTF8",
    "datestyle": "ISO, MDY",
    "intervalstyle": "postgres",
    "integer_datetimes": "on",
    "standard_conforming_strings": "on",
    "is_superuser": "off",
    "transaction_isolation": "serializable",
    "default_transaction_read_only": "off",
    "max_identifier_length": "63",
    "lc_collate": "C",
    "lc_ctype": "C",
    "application_name": "",
}
# settings SHOW names by other words
_SHOW_ALIASES = {"transaction isolation level": "transaction_isolation"}
STARTUP_PARAMETERS = {
    "server_version": SERVER_VERSION,
    "server_encoding": "UTF8",
    "client_encoding": "UTF8",
    "DateStyle": "ISO, MDY",
    "IntervalStyle": "postgres",
    "integer_datetimes": "on",
    "standard_conforming_strings": "on",
    "is_superuser": "off",
    "application_name": "",
    "TimeZone": "UTC",
}
# settings PostgreSQL clients set that mean nothing to DuckDB: SET/RESET of these succeeds and does nothing
IGNORED_SETTINGS = {
    "client_encoding",
    "extra_float_digits",
    "application_name",
    "datestyle",
    "intervalstyle",
    "standard_conforming_strings",
    "statement_timeout",
    "lock_timeout",
    "client_min_messages",
    "idle_in_transaction_session_timeout",
    "bytea_output",
    "jit",
    "default_transaction_isolation",
}

# PostgreSQL's format_type names, by pg_type's typname (clients such as SQLAlchemy map these names to types)
_TYPE_NAMES = {
    "int2": "smallint",
    "int4": "integer",
    "int8": "bigint",
    "float4": "real",
    "float8": "double precision",
    "varchar": "character varying",
    "bpchar": "character",
    "bool": "boolean",
    "timestamp": "timestamp without time zone",
    "timestamptz": "timestamp with time zone",
    "time": "time without time zone",
    "timetz": "time with time zone",
}
_VIEW_QUERY = (
    "(SELECT regexp_replace(sql, '^CREATE\\s+(OR\\s+REPLACE\\s+)?(TEMP(ORARY)?\\s+)?VIEW\\s+.*?\\s+AS\\s+', "
    "'', 'is') FROM duckdb_views() WHERE view_oid = view_id::BIGINT)"
)
_MACROS = {
    "sqlml_type_names": "() AS MAP {" + ", ".join(f"'{k}': '{v}'" for k, v in _TYPE_NAMES.items()) + "}",
    "version": f"() AS '{VERSION}'",
    "pg_get_userbyid": "(role_oid) AS sqlml_role()",  # the server's one user owns everything
    "pg_encoding_to_char": "(encoding) AS 'UTF8'",
    "pg_backend_pid": "() AS 0",
    # PostgreSQL's: the relation's schema is on the search path (DuckDB's is always true)
    "pg_table_is_visible": "(rel_oid) AS EXISTS (SELECT 1 FROM sqlml_pg_class() vc JOIN pg_catalog.pg_namespace vn "
    "ON vn.oid = vc.relnamespace WHERE vc.oid = rel_oid "
    "AND list_contains(current_schemas(true), vn.nspname))",
    "to_regtype": "(regtype_name) AS (SELECT min(oid) FROM pg_catalog.pg_type WHERE typname = regtype_name)",
    # by the PostgreSQL type OIDs pg_type and sqlml_pg_attribute use (DuckDB's own takes its internal ids)
    "format_type": "(type_id, modifier) AS coalesce((SELECT min(coalesce(sqlml_type_names()[typname], typname)) "
    "FROM pg_catalog.pg_type WHERE oid = type_id),"
    " pg_catalog.format_type(type_id, NULL)) || CASE WHEN modifier > 0 THEN concat('(', modifier // 1000,"
    " ',', modifier % 1000, ')') ELSE '' END",
    "pg_get_expr": "(node, relation_oid) AS node, (node, relation_oid, pretty) AS node",
    # the index's CREATE INDEX (PostgreSQL's form: psql prints what follows USING), or its column_no-th column
    "pg_get_indexdef": "(index_id, column_no := 0, pretty := false) AS (SELECT CASE WHEN column_no = 0 THEN "
    "'CREATE ' || CASE WHEN is_unique THEN 'UNIQUE ' ELSE '' END || 'INDEX ' || name || ' ON ' || "
    "schema_name || '.' || table_name || ' USING art (' || array_to_string(columns, ', ') || ')' "
    "ELSE columns[column_no] END FROM sqlml_indexes() WHERE oid = index_id)",
    # JDBC's getPrimaryKeys and getIndexInfo: a set-returning function of (element, 1-based position) records
    "_pg_expandarray": "(arr) AS unnest(list_transform(arr, lambda x, i: {'x': x, 'n': i}))",
    "array_upper": "(arr, dimension) AS CASE WHEN dimension = 1 AND len(arr) > 0 THEN len(arr) END",
    "array_lower": "(arr, dimension) AS CASE WHEN dimension = 1 AND len(arr) > 0 THEN 1 END",
    # psql's \df and JDBC's getFunctions: a table macro returns a TABLE; a macro's parameters may be untyped
    "pg_get_function_result": "(function_id) AS (SELECT CASE WHEN function_type = 'table_macro' THEN 'TABLE' ELSE "
    "lower(return_type) END FROM duckdb_functions() WHERE function_oid = function_id "
    "LIMIT 1)",
    "pg_get_function_arguments": "(function_id) AS (SELECT array_to_string(list_transform(parameters, lambda p, i: "
    "p || coalesce(' ' || lower(parameter_types[i]), '')), ', ') FROM duckdb_functions() "
    "WHERE function_oid = function_id LIMIT 1)",
    "pg_get_function_identity_arguments": "(function_id) AS pg_get_function_arguments(function_id)",
    "pg_get_function_sqlbody": "(function_id) AS (SELECT macro_definition FROM duckdb_functions() "
    "WHERE function_oid = function_id LIMIT 1)",
    "pg_get_statisticsobjdef_columns": "(oid) AS NULL",
    "pg_partition_ancestors": "(relation_id) AS unnest([relation_id::BIGINT])",  # no partitions: itself
    "pg_relation_is_publishable": "(oid) AS false",
    "pg_get_partkeydef": "(oid) AS NULL",
    # sizes DuckDB does not tell per table: unknown
    "pg_total_relation_size": "(oid) AS NULL::BIGINT",
    "pg_relation_size": "(oid) AS NULL::BIGINT",
    "pg_table_size": "(oid) AS NULL::BIGINT",
    "pg_database_size": "(oid) AS NULL::BIGINT",
    # the query of a view (DuckDB keeps its CREATE VIEW)
    "pg_get_viewdef": f"(view_id) AS {_VIEW_QUERY}, (view_id, pretty) AS {_VIEW_QUERY}",
    "pg_get_serial_sequence": "(table_name, column_name) AS NULL",  # DuckDB has no serial columns
    "pg_collation_is_visible": "(oid) AS true",
}
# every index as PostgreSQL has them: DuckDB's own (CREATE INDEX), and one per primary key and unique constraint
# (DuckDB has them too, unlisted), whose oid is the constraint's in DuckDB's pg_constraint; `columns` are names
# (or expressions), `attnums` PostgreSQL's 1-based column numbers (0: an expression)
_INDEXES = """
    SELECT table_oid * 1000000 + constraint_index AS oid, constraint_name AS name, database_name, schema_oid,
           schema_name, table_oid, table_name, constraint_type = 'PRIMARY KEY' AS is_primary, true AS is_unique,
           constraint_column_names AS columns,
           list_transform(constraint_column_indexes, lambda i: i + 1) AS attnums, false AS listed
    FROM duckdb_constraints() WHERE constraint_type IN ('PRIMARY KEY', 'UNIQUE')
    UNION ALL
    SELECT index_oid, index_name, database_name, schema_oid, schema_name, table_oid, table_name, is_primary, is_unique,
           columns, (SELECT list(coalesce(c.column_index, 0) ORDER BY e.i) FROM (SELECT unnest(columns) AS name,
           generate_subscripts(columns, 1) AS i) e LEFT JOIN duckdb_columns() c ON c.table_oid = i.table_oid
           AND c.column_name = trim(e.name, '"')) AS attnums, true AS listed
    FROM (SELECT *, string_split(expressions[2:-2], ', ') AS columns FROM duckdb_indexes()) i"""
# catalog tables as PostgreSQL clients read them, as temporary table macros sqlml_<table>() (a view would show
# in the catalog itself): pg_class with the columns psql reads that DuckDB's lacks, what a table has (indexes,
# foreign keys: PostgreSQL's triggers, checks) and the indexes of constraints; pg_attribute typed by the OIDs
# pg_type has (DuckDB's by its own ids); pg_constraint by constraint names, columns numbered from 1, the
# referenced table and columns of a foreign key, its index (DuckDB's: conkey from 0, no names, no references)
_TABLES = {
    "pg_constraint": """
        SELECT k.table_oid * 1000000 + k.constraint_index AS oid, k.constraint_name AS conname,
               k.schema_oid AS connamespace, CASE k.constraint_type WHEN 'PRIMARY KEY' THEN 'p' WHEN 'UNIQUE' THEN 'u'
               WHEN 'FOREIGN KEY' THEN 'f' ELSE 'c' END AS contype, false AS condeferrable, false AS condeferred,
               true AS convalidated, k.table_oid AS conrelid, 0 AS contypid,
               CASE WHEN k.constraint_type IN ('PRIMARY KEY', 'UNIQUE') THEN k.table_oid * 1000000 + k.constraint_index
               ELSE coalesce((SELECT min(x.oid) FROM sqlml_indexes() x WHERE x.table_oid = r.table_oid
                              AND x.columns = k.referenced_column_names), 0) END AS conindid, 0 AS conparentid,
               coalesce(r.table_oid, 0) AS confrelid,
               'a' AS confupdtype, 'a' AS confdeltype, 's' AS confmatchtype, true AS conislocal, 0 AS coninhcount,
               true AS connoinherit, list_transform(k.constraint_column_indexes, lambda i: i + 1) AS conkey,
               (SELECT list(c.column_index ORDER BY e.i) FROM (SELECT unnest(k.referenced_column_names) AS name,
                generate_subscripts(k.referenced_column_names, 1) AS i) e JOIN duckdb_columns() c
                ON c.table_oid = r.table_oid AND c.column_name = e.name) AS confkey,
               k.expression AS conbin
        FROM duckdb_constraints() k LEFT JOIN duckdb_tables() r ON r.database_name = k.database_name
             AND r.schema_name = k.schema_name AND r.table_name = k.referenced_table
        WHERE k.constraint_type IN ('PRIMARY KEY', 'UNIQUE', 'FOREIGN KEY', 'CHECK')""",
    "pg_class": """
        SELECT c.* REPLACE (c.oid IN (SELECT table_oid FROM sqlml_indexes()) AS relhasindex,
                            NULL::VARCHAR[] AS reloptions, 'd' AS relreplident,
                            CASE WHEN c.relkind <> 'i' THEN c.relpersistence WHEN (SELECT database_name FROM
                            duckdb_indexes() WHERE index_oid = c.oid) = 'temp' THEN 't' ELSE 'p' END AS relpersistence,
                            CASE WHEN c.relkind = 'i' THEN c.relam END AS relam,
                            c.oid IN (SELECT unnest([conrelid, confrelid]) FROM sqlml_pg_constraint()
                                      WHERE contype = 'f') AS relhastriggers,
                            (SELECT count(*) FROM sqlml_pg_constraint() k WHERE k.conrelid = c.oid AND k.contype = 'c')
                            AS relchecks), false AS relforcerowsecurity
        FROM pg_catalog.pg_class c
        UNION ALL BY NAME
        SELECT oid, name AS relname, schema_oid AS relnamespace, 'i' AS relkind, 0 AS relam, false AS relhasindex,
               false AS relhastriggers, 0 AS relchecks, false AS relforcerowsecurity,
               CASE WHEN database_name = 'temp' THEN 't' ELSE 'p' END AS relpersistence,
               false AS relispartition
        FROM sqlml_indexes() WHERE NOT listed""",
    "pg_index": """
        SELECT oid AS indexrelid, table_oid AS indrelid, len(attnums) AS indnatts, len(attnums) AS indnkeyatts,
               is_unique AS indisunique, is_primary AS indisprimary, false AS indisexclusion, true AS indimmediate,
               false AS indisclustered, true AS indisvalid, false AS indcheckxmin, true AS indisready,
               true AS indislive, false AS indisreplident, false AS indnullsnotdistinct, attnums AS indkey,
               NULL::BIGINT[] AS indcollation,
               NULL::BIGINT[] AS indclass, list_transform(attnums, lambda a: 0) AS indoption,
               NULL::VARCHAR AS indexprs, NULL::VARCHAR AS indpred
        FROM sqlml_indexes()""",
    # the return type by PostgreSQL's OID (DuckDB's is the type's name); macros are in language sql, the rest
    # built in (internal)
    "pg_proc": "SELECT p.* REPLACE ((SELECT max(pg_catalog.map_to_pg_oid(t.type_name)) FROM duckdb_types() t "
    "WHERE t.logical_type = p.prorettype) AS prorettype, CASE WHEN p.prosqlbody IS NULL THEN 12 ELSE 14 END "
    "AS prolang) FROM pg_catalog.pg_proc p",
    # the types PostgreSQL has (DuckDB's own, without an OID, left out), typrelid 0 for a type of no relation
    "pg_type": "SELECT * REPLACE (coalesce(typrelid, 0) AS typrelid) FROM pg_catalog.pg_type WHERE oid IS NOT NULL",
    "pg_language": "SELECT * FROM (VALUES (12, 'internal'), (14, 'sql')) l(oid, lanname)",
    # the server's one user, a role that may log in
    "pg_roles": "SELECT 10 AS oid, sqlml_role() AS rolname, false AS rolsuper, true AS rolinherit, "
    "false AS rolcreaterole, false AS rolcreatedb, true AS rolcanlogin, false AS rolreplication, "
    "-1 AS rolconnlimit, '********' AS rolpassword, NULL::TIMESTAMPTZ AS rolvaliduntil, "
    "false AS rolbypassrls, NULL::VARCHAR[] AS rolconfig",
    "pg_user": "SELECT sqlml_role() AS usename, 10 AS usesysid, false AS usecreatedb, false AS usesuper, "
    "false AS userepl, false AS usebypassrls, '********' AS passwd, NULL::TIMESTAMPTZ AS valuntil, "
    "NULL::VARCHAR[] AS useconfig",
    "pg_auth_members": "SELECT NULL::BIGINT AS oid, NULL::BIGINT AS roleid, NULL::BIGINT AS member, "
    "NULL::BIGINT AS grantor, NULL::BOOLEAN AS admin_option WHERE false",
    # DuckDB's settings, and PostgreSQL's that clients read (JDBC's getImportedKeys reads max_index_keys)
    "pg_settings": "SELECT * FROM pg_catalog.pg_settings UNION ALL BY NAME SELECT unnest(map_keys(m)) AS name, "
    "unnest(map_values(m)) AS setting FROM (SELECT MAP {"
    + ", ".join(f"'{k}': '{v}'" for k, v in {**SETTINGS, "max_index_keys": "32"}.items())
    + "} AS m)",
    "pg_collation": "SELECT *, NULL::BIGINT AS collnamespace FROM pg_catalog.pg_collation",
    "pg_database": "SELECT *, 10 AS datdba, 6 AS encoding, 'c' AS datlocprovider, 'C' AS datcollate, "
    "0 AS dattablespace, "
    "'C' AS datctype, NULL AS daticulocale, NULL::VARCHAR[] AS datacl FROM pg_catalog.pg_database "
    "WHERE datname NOT IN ('system', 'temp')",
    "pg_attribute": "SELECT a.* REPLACE (coalesce(m.pg_oid, a.atttypid) AS atttypid, 'p' AS attstorage, "
    "-1 AS attstattarget) FROM pg_catalog.pg_attribute a "
    "LEFT JOIN (SELECT type_oid, max(pg_catalog.map_to_pg_oid(type_name)) AS pg_oid FROM duckdb_types() "
    "GROUP BY type_oid) m ON m.type_oid = a.atttypid",
}
# catalog tables of what DuckDB does not have (policies, triggers, inheritance, publications, roles, ...): a
# SELECT that reads one of them other than by LEFT JOIN (psql's \d asks about each) has no rows
_ABSENT = {
    "pg_policy",
    "pg_statistic_ext",
    "pg_inherits",
    "pg_trigger",
    "pg_rewrite",
    "pg_partitioned_table",
    "pg_extension",
    "pg_event_trigger",
}
_ABSENT_PREFIXES = ("pg_publication", "pg_foreign_")


def setup_sql(role: str) -> list[str]:
    """The temporary macros each client's cursor gets; `role` is the one user clients see (owning everything)."""
    quoted = "'" + role.replace("'", "''") + "'"
    return (
        [
            f"CREATE OR REPLACE TEMP MACRO sqlml_role() AS {quoted}",  # in order: a macro's tables must exist
            f"CREATE OR REPLACE TEMP MACRO sqlml_indexes() AS TABLE {_INDEXES}",
        ]
        + [f"CREATE OR REPLACE TEMP MACRO sqlml_{name}() AS TABLE {query}" for name, query in _TABLES.items()]
        + [f"CREATE OR REPLACE TEMP MACRO {name}{body}" for name, body in _MACROS.items()]
    )


# possessive quantifiers (`*+`, `++`): matching never backtracks, so its time is linear in the text
_SHOW = re.compile(r"\s*+SHOW\s++(?:ALL\b|(\w++(?:\s++\w++){0,2}))\s*+;?\s*+$", re.I)
_SET = re.compile(r"\s*+(?:SET\s++(?:(?:SESSION|LOCAL)\s++)?(\w++)\s*+(?:=|TO\b)|RESET\s++(\w++))", re.I)
_SET_CHARACTERISTICS = re.compile(r"\s*+SET\s++SESSION\s++CHARACTERISTICS\b", re.I)
# a statement without any of these words needs no rewriting (nor reads an absent catalog table)
_MENTIONS = re.compile(r"pg_catalog|reg(?:class|type|proc|namespace)|json_build_object|_pg_expandarray", re.I)

_DIALECT = DuckDB()
_STRINGS = {kind for kind in TokenType if kind.name.endswith("STRING")}
# DuckDB has no such types: BIGINT (oid only as `::oid`: `AS oid)` ends many a subquery's column list)
_REG_TYPES = {"regclass", "regtype", "regproc", "regnamespace", "oid"}
# DuckDB's pg_catalog.array_to_string refuses every argument; unnest and generate_series are main's only
_UNQUALIFIED = {*_MACROS, "array_to_string", "unnest", "generate_series"}
_SCHEMAS = ("pg_catalog", "information_schema")  # the schemas of PostgreSQL's catalog functions
# a name given as text and cast to one of these types -> that object's oid
_REG_TABLES = {
    "regclass": ("pg_class", "relname"),
    "regproc": ("pg_proc", "proname"),
    "regtype": ("pg_type", "typname"),
    "regnamespace": ("pg_namespace", "nspname"),
}
_NOT_ALIASES = {
    "where",
    "join",
    "left",
    "right",
    "inner",
    "full",
    "cross",
    "natural",
    "on",
    "using",
    "group",
    "order",
    "having",
    "limit",
    "offset",
    "union",
    "except",
    "intersect",
    "window",
    "qualify",
    "fetch",
    "for",
}


def _tokenize(sql: str) -> list[Token] | None:
    """sqlglot's tokens of `sql` (strings, quoted names and comments are never mistaken for words), None if it
    cannot tokenize it. Pure Python: other clients' threads run while it works."""
    try:
        return _DIALECT.tokenize(sql)
    except TokenError:
        return None


def _word(token: Token) -> str:
    """A bare word, number or symbol lower-cased, a quoted name as it is written (PostgreSQL's rules), a
    string as ""."""
    if token.token_type == TokenType.IDENTIFIER:
        return token.text
    return "" if token.token_type in _STRINGS else token.text.lower()


def _is_name(word: str) -> bool:
    return word.replace("_", "a").isalnum()


class _Tokens:
    """The tokens of one statement, read by position (past the end: "")."""

    def __init__(self, sql: str, found: list[Token]):
        self.sql, self.found = sql, found

    def word(self, i: int) -> str:
        return _word(self.found[i]) if 0 <= i < len(self.found) else ""

    def text(self, first: int, last: int) -> str:
        """The statement's own text from token `first` to token `last`, both included."""
        return self.sql[self.found[first].start : self.found[last].end + 1]

    def name(self, i: int) -> tuple[str, int]:
        """A name at token i, `pg_catalog.` (or `information_schema.`) before it or not: (the name, the index
        after it)."""
        if self.word(i) in _SCHEMAS and self.word(i + 1) == ".":
            return self.word(i + 2), i + 3
        return self.word(i), i + 1

    def reads_absent_table(self) -> bool:
        """Whether a FROM, a comma or a JOIN other than a LEFT [OUTER] JOIN reads an absent catalog table."""
        for i in range(len(self.found)):
            name = self.word(i + 2) if self.word(i) == "pg_catalog" and self.word(i + 1) == "." else ""
            if name not in _ABSENT and not name.startswith(_ABSENT_PREFIXES):
                continue
            before = self.word(i - 1)
            left = self.word(i - 2) == "left" or self.word(i - 2) == "outer" and self.word(i - 3) == "left"
            if before in ("from", ",") or before == "join" and not left:
                return True
        return False

    def rewritten(self) -> str:
        """The statement with each PostgreSQL-only construct made DuckDB's, in one pass over the tokens."""
        pieces, done, i = [], 0, 0
        while i < len(self.found):
            found = self._rewrite_at(i)
            if found is None:
                i += 1
                continue
            end, replacement = found
            pieces += [self.sql[done : self.found[i].start], replacement]
            done, i = self.found[end - 1].end + 1, end
        return "".join(pieces) + self.sql[done:]

    def _rewrite_at(self, i: int) -> tuple[int, str] | None:
        """(the index after the tokens replaced, their replacement) for a construct starting at token i; each
        rule looks at a few tokens only."""
        return self._operator(i) or self._cast(i) or self._function(i) or self._qualified(i)

    def _operator(self, i: int) -> tuple[int, str] | None:
        """OPERATOR(pg_catalog.~) -> ~; COLLATE pg_catalog.default -> nothing."""
        if self.word(i) == "operator" and [self.word(i + k) for k in (1, 2, 3)] == ["(", "pg_catalog", "."]:
            end = next((k for k in range(i + 5, min(i + 8, len(self.found))) if self.word(k) == ")"), None)
            return None if end is None else (end + 1, self.text(i + 4, end - 1))
        if self.word(i) == "collate" and self.name(i + 1) == ("default", i + 4):
            return i + 4, ""
        return None

    def _cast(self, i: int) -> tuple[int, str] | None:
        """'t'::regclass (regproc, regtype, regnamespace) -> the oid of the object named t (a schema before
        its name is left out; '123' is oid 123); x::regtype::text -> format_type(x, NULL); x::regclass AS y (a
        result column) -> x's name; other ::regclass or CAST(x AS regtype) -> the oid."""
        if self.found[i].token_type == TokenType.STRING and self.word(i + 1) == "::":
            cast, after = self.name(i + 2)
            if cast in _REG_TABLES:
                table, column = _REG_TABLES[cast]
                name = self.found[i].text.rsplit(".", 1)[-1].replace("'", "''")
                return (
                    after,
                    name if name.isdigit() else f"(SELECT min(oid) FROM pg_catalog.{table} WHERE {column} = '{name}')",
                )
        operand = i + 2 if self.word(i + 1) == "." else i  # x or t.x
        if _is_name(self.word(i)) and _is_name(self.word(operand)) and self.word(operand + 1) == "::":
            cast, after = self.name(operand + 2)
            if cast == "regtype" and self.word(after) == "::" and self.name(after + 1)[0] == "text":
                return self.name(after + 1)[1], f"format_type({self.text(i, operand)}, NULL)"
            if cast == "regclass" and self.word(after) == "as":
                return after, f"(SELECT min(relname) FROM pg_catalog.pg_class WHERE oid = {self.text(i, operand)})"
        if self.word(i) in ("::", "as"):
            cast, after = self.name(i + 1)
            if cast in _REG_TYPES and (self.word(i) == "::" or self.word(after) == ")" and cast != "oid"):
                return after, "::BIGINT" if self.word(i) == "::" else "AS BIGINT"
        return None

    def _function(self, i: int) -> tuple[int, str] | None:
        """[pg_catalog.]json_build_object( -> json_object( (the same arguments); pg_catalog.f( of our macros
        (temporary, not in pg_catalog) and of array_to_string (DuckDB's pg_catalog one refuses every argument)
        -> f(."""
        name, after = self.name(i)
        if self.word(after) != "(":
            return None
        if name == "json_build_object":
            return after, "json_object"
        return (after, name) if name in _UNQUALIFIED and after == i + 3 else None

    def _qualified(self, i: int) -> tuple[int, str] | None:
        """pg_catalog.pg_class.relname -> pg_class.relname (DuckDB binds no column by schema and table);
        pg_catalog.pg_class -> sqlml_pg_class() (the table as PostgreSQL has it), under the table's name unless
        an alias follows."""
        name, after = self.name(i)
        if after != i + 3 or not name.startswith("pg_"):
            return None
        if self.word(after) == "." and _is_name(self.word(after + 1)):
            return after + 2, self.text(i + 2, after + 1)
        if name not in _TABLES or self.word(after) == "(":
            return None
        following = self.found[after] if after < len(self.found) else None
        aliased = following is not None and (
            following.token_type == TokenType.IDENTIFIER
            or _is_name(self.word(after))
            and self.word(after) not in _NOT_ALIASES
        )
        return after, f"sqlml_{name}()" + ("" if aliased else f" AS {name}")


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
    if sql.lstrip()[:6].upper() == "SELECT" and search_in_slices(_MENTIONS, sql):
        found = _tokenize(sql)
        if found is not None and _Tokens(sql, found).reads_absent_table():
            return ["none"], [], "SELECT"
    return None


_CALL = re.compile(r'(?:"?+\w++"?+\.)*+"?+(\w++)"?+\(.*\)', re.S)
_CALL_NAMES = {"count_star": "count"}


def column_name(name: str) -> str:
    """A result column's name as PostgreSQL gives it: a function call (DuckDB names it as written,
    `"version"()`) is named by its function (`version`)."""
    call = _CALL.fullmatch(name)
    return name if call is None else _CALL_NAMES.get(call.group(1), call.group(1))


def rewrite(sql: str) -> str:
    """`sql` with PostgreSQL-only catalog syntax made DuckDB's (text without any comes back as it is). The work
    is linear in the text's length: one tokenization, then a bounded look at the tokens from each one."""
    found = _tokenize(sql) if search_in_slices(_MENTIONS, sql) else None
    return sql if found is None else _Tokens(sql, found).rewritten()

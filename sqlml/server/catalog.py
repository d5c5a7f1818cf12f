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

A client's text is read in time linear in its length (it can be as long as --max-message-bytes): by sqlglot's
tokenizer, in Python (so other clients' threads run meanwhile), then one pass over the tokens; the few regular
expressions left never backtrack, and those that search the whole text do it a slice at a time.
"""

from __future__ import annotations

import re

import duckdb
from sqlglot.errors import TokenError
from sqlglot.tokens import Token, TokenType

import sqlml
from sqlml.parser import SqlmlDialect
from sqlml.parser.statements import search_in_slices

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
_ABSENT = {"pg_policy", "pg_statistic_ext", "pg_inherits", "pg_trigger", "pg_rewrite", "pg_partitioned_table",
           "pg_roles", "pg_user", "pg_auth_members", "pg_extension", "pg_event_trigger"}
_ABSENT_PREFIXES = ("pg_publication", "pg_foreign_")
SETUP_SQL = [f"CREATE OR REPLACE TEMP MACRO {name}{body}" for name, body in _MACROS.items()] + \
            [f"CREATE OR REPLACE TEMP MACRO sqlml_{name}() AS TABLE {query}" for name, query in _TABLES.items()]

# possessive quantifiers (`*+`, `++`): matching never backtracks, so its time is linear in the text
_SHOW = re.compile(r"\s*+SHOW\s++(?:ALL\b|(\w++(?:\s++\w++){0,2}))\s*+;?\s*+$", re.I)
_SET = re.compile(r"\s*+(?:SET\s++(?:(?:SESSION|LOCAL)\s++)?(\w++)\s*+(?:=|TO\b)|RESET\s++(\w++))", re.I)
_SET_CHARACTERISTICS = re.compile(r"\s*+SET\s++SESSION\s++CHARACTERISTICS\b", re.I)
# a statement without any of these words needs no rewriting (nor reads an absent catalog table)
_MENTIONS = re.compile(r"pg_catalog|reg(?:class|type|proc|namespace)|json_build_object", re.I)

_DIALECT = SqlmlDialect()
_STRINGS = {kind for kind in TokenType if kind.name.endswith("STRING")}
_REG_TYPES = {"regclass", "regtype", "regproc", "regnamespace"}
_UNQUALIFIED = {*_MACROS, "array_to_string"}  # DuckDB's pg_catalog.array_to_string refuses every argument
_NOT_ALIASES = {"where", "join", "left", "right", "inner", "full", "cross", "natural", "on", "using", "group", "order",
                "having", "limit", "offset", "union", "except", "intersect", "window", "qualify", "fetch", "for"}


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
        return self.sql[self.found[first].start:self.found[last].end + 1]

    def name(self, i: int) -> tuple[str, int]:
        """A name at token i, `pg_catalog.` before it or not: (the name, the index after it)."""
        if self.word(i) == "pg_catalog" and self.word(i + 1) == ".":
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
            pieces += [self.sql[done:self.found[i].start], replacement]
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
        """'t'::regclass -> t's oid; x::regtype::text -> format_type(x, NULL); other ::regclass or
        CAST(x AS regtype) -> the oid."""
        if self.found[i].token_type == TokenType.STRING and self.word(i + 1) == "::":
            cast, after = self.name(i + 2)
            if cast == "regclass":
                return after, f"(SELECT oid FROM pg_catalog.pg_class WHERE relname = {self.text(i, i)})"
        operand = i + 2 if self.word(i + 1) == "." else i  # x or t.x
        if _is_name(self.word(i)) and _is_name(self.word(operand)) and self.word(operand + 1) == "::":
            cast, after = self.name(operand + 2)
            if cast == "regtype" and self.word(after) == "::" and self.name(after + 1)[0] == "text":
                return self.name(after + 1)[1], f"format_type({self.text(i, operand)}, NULL)"
        if self.word(i) in ("::", "as"):
            cast, after = self.name(i + 1)
            if cast in _REG_TYPES and (self.word(i) == "::" or self.word(after) == ")"):
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
        aliased = following is not None and (following.token_type == TokenType.IDENTIFIER or
                                             _is_name(self.word(after)) and self.word(after) not in _NOT_ALIASES)
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

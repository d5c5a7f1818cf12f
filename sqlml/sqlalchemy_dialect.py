"""The `sqlml://` SQLAlchemy dialect: duckdb_engine's DuckDB dialect with sqlml's DB-API as the driver.

`create_engine("sqlml:///file.duckdb")` (`sqlml:///:memory:` or `sqlml://` for an in-memory database;
`?read_only=true` or `connect_args={"read_only": True}`; `?dialect=bigquery`; other URL query keys are DuckDB
settings) gives an engine on which plain DuckDB SQL and sqlml's ML statements both run, so pandas, JupySQL and
Superset work with models. The SQL compiler and the types are duckdb_engine's; this module adds:
- the dialect statements are read in (`?dialect=bigquery`: GoogleSQL): the connections read SQL the user
  writes (`text()`, `exec_driver_sql`) in it; SQL that SQLAlchemy compiles itself and reflection's queries are
  DuckDB's. The execution option `sqlml_dialect` chooses it for one statement;
- the URL: a file or memory, never a host (`sqlml://file.duckdb` is refused, not opened in memory); each
  in-memory engine has one database of its own that all its connections and threads share;
- the connection: every cursor SQLAlchemy opens is the sqlml connection's one cursor, so a transaction
  spans a SQLAlchemy connection's statements (as duckdb_engine does with DuckDB's connection);
- isolation levels `REPEATABLE READ` (the default: SQLAlchemy's transactions are DuckDB transactions) and
  `AUTOCOMMIT` (each statement commits by itself, as in sqlml's DB-API; JupySQL asks for it);
- reflection of schemas (the user's: not the model catalog's `sqlml`), tables, columns (nested types with
  their fields), keys, constraints and comments from DuckDB's own catalog functions
  (duckdb_columns(), duckdb_constraints(), ...): SQLAlchemy 2.1's PostgreSQL queries need pg_catalog
  features DuckDB lacks (REGCLASS, pg_collation), so duckdb_engine 0.17's versions fail there.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import duckdb_engine
from duckdb_engine.datatypes import Map, Struct, Union
from sqlalchemy import pool, util
from sqlalchemy import text as _text
from sqlalchemy import types as sqltypes
from sqlalchemy.engine import reflection
from sqlalchemy.engine.default import DefaultDialect
from sqlalchemy.engine.url import URL
from sqlalchemy.exc import ArgumentError, NoSuchTableError
from sqlalchemy.sql.elements import TextClause

import sqlml

AUTOCOMMIT, TRANSACTIONAL = "AUTOCOMMIT", "REPEATABLE READ"  # DuckDB's transactions see one snapshot
DUCKDB = "duckdb"  # the dialect of the SQL SQLAlchemy's compiler writes and of the reflection queries below


def text(sql: str):
    """A query of this module's own: DuckDB's SQL, whatever the dialect of the user's statements."""
    return _text(sql).execution_options(sqlml_dialect=DUCKDB)


# DuckDB type names that duckdb_engine's (PostgreSQL's) ischema_names lack
_DUCKDB_TYPES = {"double": sqltypes.DOUBLE, "blob": sqltypes.LargeBinary, "struct": Struct, "union": Union}

_WITH_TIME_ZONE = {"timestamp with time zone": sqltypes.TIMESTAMP, "time with time zone": sqltypes.TIME}


def _top_level_parts(text: str) -> list[str]:
    """The comma-separated parts of `text` outside parentheses and quotes (`a INTEGER, b MAP(X, Y)`)."""
    parts, depth, quote, start = [], 0, "", 0
    for i, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote  # a doubled quote closes and reopens: the same result
        elif char in "'\"":
            quote = char
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    return parts + [text[start:].strip()]


def _field(part: str) -> tuple[str, str]:
    """(name, type) of a STRUCT or UNION field `name TYPE` (`"a b" TYPE` quoted)."""
    if part.startswith('"'):
        end = part.index('"', 1)
        while part.startswith('"', end + 1):  # a doubled quote inside the name
            end = part.index('"', end + 2)
        return part[1:end].replace('""', '"'), part[end + 1 :].strip()
    name, type_name = part.split(None, 1)
    return name, type_name


# the tables and views of the catalog functions, with what reflection reads of them
_RELATIONS = """(SELECT table_oid AS oid, table_name AS name, database_name, schema_name, comment
                 FROM duckdb_tables()
                 UNION ALL
                 SELECT view_oid, view_name, database_name, schema_name, comment
                 FROM duckdb_views() WHERE NOT internal) AS r"""


class DBAPI:
    """sqlml's DB-API module as SQLAlchemy loads it: its exceptions and `$1` parameters (duckdb_engine's
    paramstyle, which sqlml binds in ML statements too)."""

    apilevel, threadsafety, paramstyle = sqlml.apilevel, sqlml.threadsafety, "numeric_dollar"
    connect = staticmethod(sqlml.connect)
    Warning, Error, InterfaceError = sqlml.Warning, sqlml.Error, sqlml.InterfaceError
    DatabaseError, DataError, OperationalError = sqlml.DatabaseError, sqlml.DataError, sqlml.OperationalError
    IntegrityError, InternalError = sqlml.IntegrityError, sqlml.InternalError
    ProgrammingError, NotSupportedError = sqlml.ProgrammingError, sqlml.NotSupportedError
    Binary = sqlml.Binary


class Connection:
    """A sqlml DB-API connection with the one cursor every SQLAlchemy cursor of it runs on."""

    def __init__(self, connection: sqlml.Connection):
        self.connection = connection
        self.autocommit = False
        self.notices: list[str] = []  # read by the psycopg2 dialect's execution context; DuckDB sends none
        self._cursor = connection.cursor()

    def cursor(self) -> Cursor:
        return Cursor(self._cursor, self)

    def begin(self) -> None:
        """Open a DuckDB transaction, unless in AUTOCOMMIT mode."""
        if not self.autocommit:
            self._cursor.execute("BEGIN", dialect=DUCKDB)

    def commit(self) -> None:
        self.connection.commit()

    def rollback(self) -> None:
        self.connection.rollback()

    def close(self) -> None:
        self.connection.close()


class Cursor:
    """The connection's sqlml cursor, which `close()` leaves open for the connection's next statement."""

    def __init__(self, cursor: sqlml.Cursor, connection: Connection):
        self._cursor = cursor
        self.connection = connection

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)

    def close(self) -> None:
        """Nothing to do: the next statement replaces this one's result."""


class SqlmlDialect(duckdb_engine.Dialect):
    """duckdb_engine's dialect (its name stays `duckdb`: its SQL is DuckDB's) driven by sqlml's DB-API."""

    driver = "sqlml"
    supports_statement_cache = False  # as duckdb_engine's dialect (each dialect class must say)

    @classmethod
    def import_dbapi(cls) -> type[DBAPI]:
        return DBAPI

    @classmethod
    def get_pool_class(cls, url: URL) -> type[pool.Pool]:
        """A queue of connections, in-memory databases too (duckdb_engine's SingletonThreadPool would give
        each thread a connection of its own): each is a DuckDB connection to the engine's one database."""
        return pool.QueuePool

    def create_connect_args(self, url: URL) -> tuple[tuple, dict]:
        if url.host or url.username or url.password or url.port:
            raise ArgumentError(
                f"{url.render_as_string()}: a sqlml URL names a file, not a host: "
                "sqlml:///relative.duckdb, sqlml:////absolute/path.duckdb or sqlml:// (in memory)"
            )
        config = dict(url.query)
        database = url.database or ":memory:"
        if database == ":memory:":  # one in-memory database per engine, which all its connections share
            database = f":memory:sqlml_engine_{uuid.uuid4().hex}"
        args: dict[str, Any] = {"database": database, "url_config": config, "dialect": config.pop("dialect", DUCKDB)}
        if "read_only" in config:
            try:
                args["read_only"] = util.asbool(config.pop("read_only"))
            except ValueError as exc:
                raise ArgumentError(f"read_only in the URL must be true or false: {exc}") from None
        return (), args

    def connect(
        self,
        database: str = ":memory:",
        read_only: bool = False,
        config: dict | None = None,
        url_config: dict | None = None,
        dialect: str = DUCKDB,
    ) -> Connection:
        """A sqlml connection; `config` (connect_args) and the URL's query are DuckDB settings; `dialect` is what
        the user's SQL is read in ('duckdb' or 'bigquery')."""
        return Connection(sqlml.connect(database, read_only, {**(config or {}), **(url_config or {})}, dialect))

    # -- the dialect each statement is read in ----------------------------------------------------------
    @staticmethod
    def _read_in(context) -> str | None:
        """The execution option `sqlml_dialect` if given; else None (the URL's dialect) for SQL the user wrote
        (text(), exec_driver_sql), DuckDB's for SQL SQLAlchemy compiled."""
        chosen = context.execution_options.get("sqlml_dialect") if context is not None else None
        compiled = getattr(context, "compiled", None)
        if chosen is not None or compiled is None or isinstance(compiled.statement, TextClause):
            return chosen
        return DUCKDB

    def do_execute(self, cursor: Cursor, statement, parameters, context=None) -> None:
        cursor.execute(statement, parameters, dialect=self._read_in(context))

    def do_execute_no_params(self, cursor: Cursor, statement, context=None) -> None:
        cursor.execute(statement, dialect=self._read_in(context))

    def do_executemany(self, cursor: Cursor, statement, parameters, context=None) -> None:
        cursor.executemany(statement, parameters, dialect=self._read_in(context))

    # -- transactions ---------------------------------------------------------------------------------
    def do_begin(self, dbapi_connection: Connection) -> None:
        dbapi_connection.begin()

    def do_rollback(self, dbapi_connection: Connection) -> None:
        dbapi_connection.rollback()

    def get_isolation_level_values(self, dbapi_connection: Connection) -> list[str]:
        return [AUTOCOMMIT, TRANSACTIONAL]

    def get_default_isolation_level(self, dbapi_connection: Connection) -> str:
        return TRANSACTIONAL

    def get_isolation_level(self, dbapi_connection: Connection) -> str:
        return AUTOCOMMIT if dbapi_connection.autocommit else TRANSACTIONAL

    def set_isolation_level(self, dbapi_connection: Connection, level: str) -> None:
        dbapi_connection.autocommit = level == AUTOCOMMIT

    # -- reflection -----------------------------------------------------------------------------------
    def _scope(self, schema: str | None, alias: str = "") -> tuple[str, dict]:
        """The condition selecting one schema's rows of a catalog function: `database.schema` (as
        get_schema_names names them), a schema of the current database, or (None) the current schema."""
        database, name = self.identifier_preparer._separate(schema)
        params = {key: value for key, value in (("database", database), ("schema", name)) if value}
        condition = (
            f"{alias}database_name = {':database' if database else 'current_database()'} "
            f"AND {alias}schema_name = {':schema' if name else 'current_schema()'}"
        )
        return condition, params

    def _names(self, connection, sql: str, schema: str | None) -> list[str]:
        condition, params = self._scope(schema)
        return connection.execute(text(f"{sql} AND {condition} ORDER BY 1"), params).scalars().all()

    @reflection.cache
    def get_schema_names(self, connection, **kw) -> list[str]:
        """`database.schema` of the user's schemas: not the model catalog `sqlml` (internal tables; SHOW MODELS
        lists the models), nor those of DuckDB's own databases `system` and `temp`; pg_catalog and
        information_schema are not listed either (they are in `system`)."""
        rows = connection.execute(
            text(
                "SELECT database_name, schema_name FROM duckdb_schemas() WHERE database_name NOT IN ('system', 'temp') "
                "AND schema_name NOT IN ('sqlml', 'pg_catalog', 'information_schema') ORDER BY 1, 2"
            )
        )
        return [self.identifier_preparer.quote_schema(f"{database}.{schema}") for database, schema in rows]

    @reflection.cache
    def get_table_names(self, connection, schema=None, **kw) -> list[str]:
        return self._names(connection, "SELECT table_name FROM duckdb_tables() WHERE NOT temporary", schema)

    @reflection.cache
    def get_view_names(self, connection, schema=None, **kw) -> list[str]:
        return self._names(connection, "SELECT view_name FROM duckdb_views() WHERE NOT internal", schema)

    def _rows(self, connection, table_name: str, schema: str | None, sql: str, **params) -> list:
        """The rows of `sql`, a query joined to the table or view `r` (`r.oid` its oid); NoSuchTableError
        if there is no such relation."""
        condition, scope = self._scope(schema, "r.")
        rows = connection.execute(
            text(f"{sql} WHERE r.name = :table AND {condition}"), {"table": table_name, **scope, **params}
        ).all()
        if not rows:
            raise NoSuchTableError(f"{schema}.{table_name}" if schema else table_name)
        return rows

    def has_table(self, connection, table_name, schema=None, **kw) -> bool:
        try:
            self._rows(connection, table_name, schema, f"SELECT r.oid FROM {_RELATIONS}")
        except NoSuchTableError:
            return False
        return True

    @reflection.cache
    def get_columns(self, connection, table_name, schema=None, **kw) -> list[dict]:
        rows = self._rows(
            connection,
            table_name,
            schema,
            f"""
            SELECT c.column_name, c.data_type, c.is_nullable, c.column_default, c.comment
            FROM {_RELATIONS} JOIN duckdb_columns() AS c ON c.table_oid = r.oid""",
        )
        return [
            {
                "name": name,
                "type": self._column_type(data_type),
                "nullable": nullable,
                "default": default,
                "comment": comment,
                "autoincrement": False,
            }
            for name, data_type, nullable, default, comment in rows
        ]

    def _column_type(self, data_type: str) -> sqltypes.TypeEngine:
        """The SQLAlchemy type of a DuckDB type name (`DECIMAL(10,2)`, `INTEGER[]`, `ENUM('a', 'b')`,
        `STRUCT(a INTEGER)`, `MAP(VARCHAR, INTEGER)`, ...)."""
        if data_type.endswith("]"):  # a LIST (`T[]`) or an ARRAY (`T[3]`)
            return sqltypes.ARRAY(self._column_type(data_type[: data_type.rindex("[")]))
        name, _, inside = data_type.partition("(")
        name, inside = name.strip().lower(), inside[:-1]
        if name == "enum":
            return sqltypes.Enum(*(value.replace("''", "'") for value in re.findall(r"'((?:[^']|'')*)'", inside)))
        if name == "decimal":
            return sqltypes.Numeric(*map(int, inside.split(",")))
        if name in ("struct", "union"):
            return _DUCKDB_TYPES[name](
                {field: self._column_type(type_name) for field, type_name in map(_field, _top_level_parts(inside))}
            )
        if name == "map":
            return Map(*map(self._column_type, _top_level_parts(inside)))
        if name in _WITH_TIME_ZONE:
            return _WITH_TIME_ZONE[name](timezone=True)
        type_class = self.ischema_names.get(name) or _DUCKDB_TYPES.get(name)
        if type_class is None:
            util.warn(f"Did not recognize type {data_type!r}")
            return sqltypes.NULLTYPE
        return type_class()

    def _constraints(self, connection, table_name, schema, kind: str) -> list:
        """(name, columns, referenced table, referenced columns, expression) of the table's constraints
        of one kind (none for a view)."""
        rows = self._rows(
            connection,
            table_name,
            schema,
            f"""
            SELECT k.constraint_name, k.constraint_column_names, k.referenced_table,
                   k.referenced_column_names, k.expression
            FROM {_RELATIONS} LEFT JOIN duckdb_constraints() AS k
                 ON k.table_oid = r.oid AND k.constraint_type = :kind""",
            kind=kind,
        )
        return [row for row in rows if row[0] is not None]

    @reflection.cache
    def get_pk_constraint(self, connection, table_name, schema=None, **kw) -> dict:
        keys = self._constraints(connection, table_name, schema, "PRIMARY KEY")
        return (
            {"name": keys[0][0], "constrained_columns": keys[0][1]}
            if keys
            else {"name": None, "constrained_columns": []}
        )

    @reflection.cache
    def get_foreign_keys(self, connection, table_name, schema=None, **kw) -> list[dict]:
        return [
            {
                "name": name,
                "constrained_columns": columns,
                "referred_schema": schema,  # DuckDB: same schema
                "referred_table": table,
                "referred_columns": referred,
                "options": {},
            }
            for name, columns, table, referred, _ in self._constraints(connection, table_name, schema, "FOREIGN KEY")
        ]

    @reflection.cache
    def get_unique_constraints(self, connection, table_name, schema=None, **kw) -> list[dict]:
        return [
            {"name": name, "column_names": columns}
            for name, columns, *_ in self._constraints(connection, table_name, schema, "UNIQUE")
        ]

    @reflection.cache
    def get_check_constraints(self, connection, table_name, schema=None, **kw) -> list[dict]:
        return [
            {"name": name, "sqltext": expression}
            for name, *_, expression in self._constraints(connection, table_name, schema, "CHECK")
        ]

    @reflection.cache
    def get_table_comment(self, connection, table_name, schema=None, **kw) -> dict:
        ((comment,),) = self._rows(connection, table_name, schema, f"SELECT r.comment FROM {_RELATIONS}")
        return {"text": comment}

    def get_table_options(self, connection, table_name, schema=None, **kw) -> dict:
        return {}  # DuckDB tables have none

    # reflecting several tables: the per-table methods above, table by table (not PostgreSQL's queries)
    get_multi_columns = DefaultDialect.get_multi_columns
    get_multi_pk_constraint = DefaultDialect.get_multi_pk_constraint
    get_multi_foreign_keys = DefaultDialect.get_multi_foreign_keys
    get_multi_indexes = DefaultDialect.get_multi_indexes
    get_multi_unique_constraints = DefaultDialect.get_multi_unique_constraints
    get_multi_check_constraints = DefaultDialect.get_multi_check_constraints
    get_multi_table_comment = DefaultDialect.get_multi_table_comment
    get_multi_table_options = DefaultDialect.get_multi_table_options

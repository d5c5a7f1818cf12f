"""The catalog as PostgreSQL's own clients read it (issue 19, item 11): PostgreSQL's JDBC driver (the
DatabaseMetaData calls of DBeaver, Metabase and Tableau-style tools; a Java program compiled into tmp_path) and
psql's meta-commands, against the real server, on a database with a view, macros, a primary key, a composite
primary key, a unique constraint, a foreign key and an index. Every listing is compared with DuckDB's own catalog
(duckdb_tables(), duckdb_columns(), duckdb_constraints(), duckdb_indexes(), duckdb_functions(), ...) read directly."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

import sqlml
from tests.server.serving import PASSWORD, USER, psql, serve

SOURCE = Path(__file__).with_name("JdbcClient.java")
JDBC_JAR = "/usr/share/java/postgresql.jar"  # Debian's libpostgresql-jdbc-java
SCHEMA = """
    CREATE TABLE islands (name VARCHAR PRIMARY KEY, area DOUBLE NOT NULL);
    INSERT INTO islands SELECT DISTINCT island, 1.0 FROM penguins;
    CREATE TABLE measurements (penguin_id BIGINT, day DATE, mass DOUBLE, island VARCHAR REFERENCES islands (name),
                               tag VARCHAR UNIQUE, PRIMARY KEY (penguin_id, day));
    CREATE INDEX measurements_mass ON measurements (mass);
    CREATE VIEW heavy AS SELECT penguin_id, body_mass_g FROM penguins WHERE body_mass_g > 5000;
    CREATE MACRO grams_to_kg(g) AS g / 1000;
    CREATE MACRO heavier(m) AS TABLE SELECT * FROM penguins WHERE body_mass_g > m;
"""
# PostgreSQL's names of DuckDB's types: pg_type's typname and format_type's (psql)
TYPNAMES = {"BIGINT": "int8", "VARCHAR": "varchar", "DOUBLE": "float8", "DATE": "date"}
FORMATTED = {"BIGINT": "bigint", "VARCHAR": "character varying", "DOUBLE": "double precision", "DATE": "date"}


@pytest.fixture(scope="module")
def catalog_database(database, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("catalog") / "penguins.duckdb"
    shutil.copy(database, path)
    with duckdb.connect(str(path)) as con:
        con.execute(SCHEMA)
    return path


@pytest.fixture(scope="module")
def catalog_server(catalog_database):
    """Read-only, with the password of USER; yields the port."""
    with serve(
        catalog_database, "--user", USER, "--password-env", "SQLML_TEST_PASSWORD", env={"SQLML_TEST_PASSWORD": PASSWORD}
    ) as port:
        yield port


def truth(database: Path, sql: str) -> list[tuple]:
    """Rows of DuckDB's own catalog functions on the file."""
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(sql).fetchall()


def constraints(database: Path, kind: str, table: str) -> list[tuple]:
    """(name, column names, referenced table, referenced column names, text) of a table's constraints of a kind."""
    return truth(
        database,
        f"SELECT constraint_name, constraint_column_names, referenced_table, "
        f"referenced_column_names, constraint_text FROM duckdb_constraints() "
        f"WHERE constraint_type = '{kind}' "
        f"AND table_name = '{table}' ORDER BY constraint_index",
    )


# -- the JDBC driver ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def jdbc(catalog_server, tmp_path_factory) -> dict[str, list[list[str]]]:
    """The sections JdbcClient printed: name -> rows (lists of values)."""
    javac, java = shutil.which("javac"), shutil.which("java")
    if javac is None or java is None:
        pytest.skip(
            "no JDK (javac, java) on this machine: the JDBC driver tests compile a Java program "
            "(.ci/run installs default-jdk-headless)"
        )
    assert os.path.exists(JDBC_JAR), f"PostgreSQL's JDBC driver is needed at {JDBC_JAR} (libpostgresql-jdbc-java)"
    classes = tmp_path_factory.mktemp("jdbc")
    compiled = subprocess.run([javac, "-d", str(classes), str(SOURCE)], capture_output=True, text=True, timeout=300)
    assert compiled.returncode == 0, compiled.stderr
    run = subprocess.run(
        [
            java,
            "-cp",
            f"{classes}:{JDBC_JAR}",
            "JdbcClient",
            f"jdbc:postgresql://127.0.0.1:{catalog_server}/penguins",
            USER,
            PASSWORD,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    sections: dict[str, list[list[str]]] = {}
    for line in run.stdout.splitlines():
        if line.startswith("## "):
            rows = sections.setdefault(line[3:], [])
        else:
            rows.append(line.split("\t"))
    return sections


def test_jdbc_metadata_calls_all_answer(jdbc):
    assert [name for name in jdbc if " FAILED " in name] == []
    assert jdbc["product"] == [["PostgreSQL", "15.0"]]
    assert jdbc["catalogs"] == [["penguins"]]


def test_jdbc_tables_schemas_and_columns(jdbc, catalog_database):
    assert sorted(jdbc["schemas"]) == sorted(
        [s]
        for (s,) in truth(
            catalog_database, "SELECT schema_name FROM duckdb_schemas() WHERE database_name = current_database()"
        )
    )
    assert sorted(map(tuple, jdbc["tables"])) == sorted(
        truth(
            catalog_database,
            "SELECT schema_name, table_name, 'TABLE' FROM duckdb_tables() "
            "WHERE database_name = current_database() UNION ALL SELECT schema_name, view_name, 'VIEW' "
            "FROM duckdb_views() WHERE NOT internal AND database_name = current_database()",
        )
    )
    expected = truth(
        catalog_database,
        "SELECT table_name, column_name, data_type, column_index, is_nullable "
        "FROM duckdb_columns() WHERE database_name = current_database() "
        "AND schema_name = 'main' ORDER BY table_name, column_index",
    )
    assert jdbc["columns"] == [
        [table, column, TYPNAMES[kind], str(position), "YES" if nullable else "NO"]
        for table, column, kind, position, nullable in expected
    ]


def test_jdbc_primary_foreign_keys_and_indexes(jdbc, catalog_database):
    for table in ("penguins", "islands", "measurements"):
        assert jdbc[f"primary keys {table}"] == [
            [column, str(seq), name]
            for name, columns, _, _, _ in constraints(catalog_database, "PRIMARY KEY", table)
            for seq, column in enumerate(columns, 1)
        ]
    ((island_key, island_columns, _, _, _),) = constraints(catalog_database, "PRIMARY KEY", "islands")
    foreign = [
        [referenced, referenced_column, "measurements", column, str(seq), name, island_key]
        for name, columns, referenced, referenced_columns, _ in constraints(
            catalog_database, "FOREIGN KEY", "measurements"
        )
        for seq, (column, referenced_column) in enumerate(zip(columns, referenced_columns), 1)
    ]
    assert foreign == [["islands", "name", "measurements", "island", "1", foreign[0][5], island_key]]
    assert island_columns == ["name"]
    assert jdbc["imported keys"] == jdbc["exported keys"] == foreign
    unique = [
        (name, "f", str(position), column)
        for kind in ("PRIMARY KEY", "UNIQUE")
        for name, columns, _, _, _ in constraints(catalog_database, kind, "measurements")
        for position, column in enumerate(columns, 1)
    ]
    indexed = [
        (name, "f" if is_unique else "t", "1", expressions.strip("[]"))
        for name, is_unique, expressions in truth(
            catalog_database,
            "SELECT index_name, is_unique, expressions FROM duckdb_indexes() WHERE table_name = 'measurements'",
        )
    ]
    assert sorted(map(tuple, jdbc["index info"])) == sorted(unique + indexed)  # NON_UNIQUE: PostgreSQL's text, t/f
    assert len(unique) == 3 and len(indexed) == 1


def test_jdbc_type_info_and_functions(jdbc, catalog_database):
    jdbc_only = {"bigserial", "serial", "smallserial"}  # the driver adds these itself
    assert {name for name, _ in jdbc["type info"]} - jdbc_only == {
        name for (name,) in truth(catalog_database, "SELECT typname FROM pg_catalog.pg_type WHERE oid IS NOT NULL")
    }
    assert dict(jdbc["type info"])["int8"] == "-5" and dict(jdbc["type info"])["varchar"] == "12"  # BIGINT, VARCHAR
    kinds = {"macro": "1", "table_macro": "2"}  # DatabaseMetaData.functionNoTable, functionReturnsTable
    assert sorted(map(tuple, jdbc["functions"])) == sorted(
        (name, kinds[kind])
        for name, kind in truth(
            catalog_database,
            "SELECT function_name, function_type FROM duckdb_functions() WHERE NOT internal "
            "AND database_name = current_database()",
        )
    )


def test_jdbc_prepared_ml_statements_and_the_evaluate_notice(jdbc, catalog_database):
    with sqlml.connect(str(catalog_database), read_only=True) as con:
        predicted = con.execute(
            "SELECT penguin_id, predicted_species FROM ML.PREDICT(MODEL species, (SELECT * FROM "
            "penguins WHERE penguin_id <= ? AND island = ?)) ORDER BY penguin_id",
            [60, "Dream"],
        ).fetchall()
        cursor = con.cursor()
        evaluated = cursor.execute("SELECT * FROM ML.EVALUATE(MODEL species)").fetchall()
        notices = [str(message) for _, message in cursor.messages]
    assert jdbc["predict"] == [[str(key), label] for key, label in predicted] and predicted
    assert [[float(v) for v in row] for row in jdbc["evaluate"]] == [list(row) for row in evaluated]
    assert jdbc["evaluate warnings"] == [["00000", notice] for notice in notices] and len(notices) == 1
    assert jdbc["double parameter"] == [["10.0", "DOUBLE"]]


def test_jdbc_refused_logins_carry_postgresql_sqlstates(jdbc):
    (password, database) = jdbc["refused logins"]
    assert password == ["28P01", f'FATAL: password authentication failed for user "{USER}"']
    assert database[0] == "3D000" and database[1].startswith('FATAL: database "analytics" does not exist')


# -- psql's meta-commands --------------------------------------------------------------------------------
def listing(port: int, command: str) -> tuple[list[list[str]], list[str]]:
    """psql's unaligned output of a meta-command: (the rows under the header, the footer lines)."""
    run = psql(port, "-A", "-c", command)
    assert run.returncode == 0 and run.stderr == "", (command, run.stderr)
    lines = run.stdout.splitlines()[2:]  # the title and the header
    rows = [line.split("|") for line in lines if "|" in line]
    return rows, [line for line in lines if "|" not in line and not line.startswith("(")]


def test_psql_lists_relations_schemas_databases_and_roles(catalog_server, catalog_database):
    relations = truth(
        catalog_database,
        "SELECT table_name, 'table' FROM duckdb_tables() WHERE schema_name = 'main' "
        "UNION ALL SELECT view_name, 'view' FROM duckdb_views() WHERE NOT internal "
        "AND schema_name = 'main' ORDER BY 1",
    )
    assert listing(catalog_server, r"\d")[0] == [["main", name, kind, USER] for name, kind in relations]
    assert listing(catalog_server, r"\dt")[0] == [
        ["main", name, kind, USER] for name, kind in relations if kind == "table"
    ]
    assert listing(catalog_server, r"\dn")[0] == [
        [name, USER]
        for (name,) in truth(
            catalog_database,
            "SELECT schema_name FROM duckdb_schemas() WHERE database_name = current_database() ORDER BY 1",
        )
    ]
    assert [row[:2] for row in listing(catalog_server, r"\l")[0]] == [
        [name, USER]
        for (name,) in truth(catalog_database, "SELECT database_name FROM duckdb_databases() WHERE NOT internal")
    ]
    assert [row[0] for row in listing(catalog_server, r"\du")[0]] == [USER]  # the server's one user


def test_psql_df_lists_the_macros(catalog_server, catalog_database):
    expected = truth(
        catalog_database,
        "SELECT schema_name, function_name, CASE function_type WHEN 'table_macro' THEN "
        "'TABLE' ELSE '' END, array_to_string(parameters, ', '), 'func' FROM "
        "duckdb_functions() WHERE NOT internal AND database_name = current_database() "
        "ORDER BY 2",
    )
    assert listing(catalog_server, r"\df")[0] == [list(row) for row in expected] and len(expected) == 2
    verbose = listing(catalog_server, r"\df+")[0]
    assert [(row[1], row[10], row[11]) for row in verbose] == [
        (name, "sql", body)
        for name, body in truth(
            catalog_database,
            "SELECT function_name, macro_definition FROM duckdb_functions() WHERE NOT internal "
            "AND database_name = current_database() ORDER BY 1",
        )
    ]


@pytest.mark.parametrize("verbose", ["", "+"])
def test_psql_describes_a_table_with_its_keys_and_indexes(catalog_server, catalog_database, verbose):
    rows, footer = listing(catalog_server, rf"\d{verbose} measurements")
    columns = truth(
        catalog_database,
        "SELECT column_name, data_type, is_nullable FROM duckdb_columns() "
        "WHERE table_name = 'measurements' ORDER BY column_index",
    )
    assert [row[:4] for row in rows] == [
        [name, FORMATTED[kind], "", "" if nullable else "not null"] for name, kind, nullable in columns
    ]
    ((key, key_columns, _, _, _),) = constraints(catalog_database, "PRIMARY KEY", "measurements")
    ((unique, unique_columns, _, _, _),) = constraints(catalog_database, "UNIQUE", "measurements")
    ((index, expressions),) = truth(catalog_database, "SELECT index_name, expressions FROM duckdb_indexes()")
    ((foreign, _, _, _, text),) = constraints(catalog_database, "FOREIGN KEY", "measurements")
    assert footer == [
        "Indexes:",  # the primary key first, then by name (the access method is DuckDB's ART)
        f'    "{key}" PRIMARY KEY, art ({", ".join(key_columns)})',
        f'    "{index}" art ({expressions.strip("[]")})',
        f'    "{unique}" UNIQUE CONSTRAINT, art ({", ".join(unique_columns)})',
        "Foreign-key constraints:",
        f'    "{foreign}" {text}',
    ]
    assert sorted([key, unique, index]) == [index, key, unique]  # the order above is by name


def test_psql_describes_a_referenced_table_and_a_view(catalog_server, catalog_database):
    rows, footer = listing(catalog_server, r"\d islands")
    ((key, columns, _, _, _),) = constraints(catalog_database, "PRIMARY KEY", "islands")
    ((foreign, _, _, _, text),) = constraints(catalog_database, "FOREIGN KEY", "measurements")
    assert footer == [
        "Indexes:",
        f'    "{key}" PRIMARY KEY, art ({", ".join(columns)})',
        "Referenced by:",
        f'    TABLE "measurements" CONSTRAINT "{foreign}" {text}',
    ]
    rows, footer = listing(catalog_server, r"\d+ heavy")
    assert [row[:2] for row in rows] == [["penguin_id", "bigint"], ["body_mass_g", "bigint"]]
    ((view_sql,),) = truth(catalog_database, "SELECT sql FROM duckdb_views() WHERE view_name = 'heavy'")
    assert footer[0] == "View definition:" and view_sql.endswith(" AS " + footer[1])


def test_psql_d_plus_of_a_table_without_keys(catalog_server, catalog_database):
    rows, footer = listing(catalog_server, r"\d+ penguins")
    columns = truth(
        catalog_database,
        "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'penguins' ORDER BY column_index",
    )
    assert [row[:2] for row in rows] == [[name, FORMATTED.get(kind, kind)] for name, kind in columns]
    assert footer == []


def test_a_column_named_oid_is_not_taken_for_a_cast(catalog_server):
    """The catalog rewrite turns `::oid` into `::BIGINT` (DuckDB has no oid type), not an alias `AS oid`."""
    run = psql(
        catalog_server,
        "-A",
        "-t",
        "-c",
        "SELECT s.oid, '42'::pg_catalog.oid + 1 FROM (SELECT 7 AS oid) s, "
        "pg_catalog.pg_namespace n WHERE n.nspname = 'main'",
    )
    assert (run.returncode, run.stdout) == (0, "7|43\n"), run.stderr

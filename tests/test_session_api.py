"""The Session API the front ends use (engine/session.py): a SessionCursor's result (description, rowcount,
fetching, Arrow) and its reading of statement texts (split, command, the line-by-line reader) against DuckDB's
own answers on the same statements; the shell reads a script tokenizing each line once."""

from __future__ import annotations

import io

import duckdb
import pyarrow as pa
import pytest

from sqlml.engine.session import Session, SessionCursor
from sqlml.errors import InterfaceError, SqlSyntaxError
from sqlml.parser.dialect import SqlmlDialect
from sqlml.shell.core import Shell

SETUP = "CREATE TABLE t (i INTEGER, s VARCHAR, d DECIMAL(9, 3), ts TIMESTAMP, l INTEGER[], b BLOB)"
STATEMENTS = [
    "INSERT INTO t VALUES (1, 'a', 1.5, TIMESTAMP '2024-01-02 03:04:05', [1, 2], 'x'::BLOB), "
    "(2, NULL, -0.25, NULL, [], NULL), (3, 'c;', 7, TIMESTAMP '1999-12-31 23:59:59', NULL, '\\x00'::BLOB)",
    "SELECT * FROM t ORDER BY i",
    "UPDATE t SET s = 'z' WHERE i >= 2",
    "SELECT i, s FROM t WHERE i > 10",  # no rows
    "DELETE FROM t WHERE i = 1",
    "CREATE VIEW v AS SELECT i * 2 AS twice FROM t",
    "SELECT * FROM v, range(3) r ORDER BY ALL",
    "SELECT 42 AS answer, 'model' AS word",  # an ML keyword: the Session's own path, DuckDB runs it untouched
]


@pytest.fixture
def pair():
    """A SessionCursor and a plain DuckDB cursor, each on a database of its own holding table t."""
    session, duck = Session(), duckdb.connect()
    cursor, plain = session.cursor(), duck.cursor()
    cursor.execute(SETUP)
    plain.execute(SETUP)
    yield cursor, plain
    session.close()
    duck.close()


@pytest.mark.parametrize("statement", STATEMENTS)
def test_description_rowcount_and_rows_are_duckdbs(pair, statement):
    cursor, plain = pair
    for sql in STATEMENTS[: STATEMENTS.index(statement)]:  # the same state on both sides
        cursor.execute(sql)
        plain.execute(sql)
    assert cursor.execute(statement) is True
    plain.execute(statement)
    assert cursor.description == plain.description
    assert cursor.rowcount == plain.rowcount
    assert cursor.fetchone() == plain.fetchone()
    assert cursor.fetchmany(2) == plain.fetchmany(2)
    assert cursor.fetchall() == plain.fetchall()


@pytest.mark.parametrize("statement", [s for s in STATEMENTS if s.startswith("SELECT")])
def test_arrow_results_are_duckdbs(pair, statement):
    cursor, plain = pair
    cursor.execute(STATEMENTS[0])
    plain.execute(STATEMENTS[0])
    cursor.execute(STATEMENTS[5])
    plain.execute(STATEMENTS[5])
    expected = plain.sql(statement).to_arrow_table()
    cursor.execute(statement)
    assert cursor.fetch_arrow_table().equals(expected)
    cursor.execute(statement)
    batches = list(cursor.fetch_arrow_reader(2))
    assert all(batch.num_rows <= 2 for batch in batches)
    assert pa.Table.from_batches(batches, expected.schema).equals(expected)


def test_a_model_statement_has_no_result_set(tmp_path):
    session = Session()
    cursor = session.cursor()
    cursor.execute("CREATE TABLE d AS SELECT range::DOUBLE AS x, 2 * range + 1.0 AS y FROM range(20)")
    assert (
        cursor.execute(
            "CREATE MODEL m OPTIONS (model_type = 'linear_reg', input_label_cols = ['y']) AS SELECT * FROM d"
        )
        is False
    )
    assert cursor.description is None and cursor.rowcount == -1
    for fetch in (cursor.fetchone, cursor.fetchall, cursor.fetch_arrow_table):
        with pytest.raises(InterfaceError, match="no result set"):
            fetch()
    cursor.execute("SELECT x FROM d WHERE x < 2 ORDER BY x")  # the next statement's result is there again
    assert cursor.fetchall() == [(0.0,), (1.0,)]
    session.close()


@pytest.mark.parametrize("unread", ["SELECT * FROM range(100000)", "INSERT INTO d VALUES (100, 201) RETURNING x"])
def test_an_ml_statement_after_a_result_left_unread(unread):
    """DB-API: a statement discards the last one's result. DuckDB's relation API (which ML functions read their
    inputs with) refuses to run beside an unread result of execute(): the ML statement finishes it first (an
    INSERT's rows stay written) and runs, and so do the statements after it."""
    session = Session()
    cursor = session.cursor()
    cursor.execute("CREATE TABLE d AS SELECT range::DOUBLE AS x, 2 * range + 1.0 AS y FROM range(20)")
    drift = (
        "SELECT input, value FROM ML.VALIDATE_DATA_DRIFT(TABLE d, TABLE d, STRUCT(0.3 AS numerical_default_threshold))"
    )
    for _ in range(2):
        cursor.execute(unread)
        cursor.execute(drift)
        assert sorted(cursor.fetchall()) == [("x", 0.0), ("y", 0.0)]
    cursor.execute("SELECT count(*) FROM d")
    assert cursor.fetchone() == (22 if unread.startswith("INSERT") else 20,)
    session.close()


SCRIPTS = [
    "SELECT 1; SELECT 2",
    '-- a comment; with a semicolon\nSELECT \';\' AS a /* ; */; SELECT "x;y" FROM (SELECT 1 AS "x;y");;\n  VALUES (1) ; ',
    "CREATE TABLE q (a VARCHAR);\nINSERT INTO q VALUES ('it''s; here'),\n ('two\nlines;');\nSELECT * FROM q",
    "SELECT $$dollar; quoted$$ AS d; SELECT 'E' || '\\n;'",
    "/* leading\n ; block */ SELECT 1 -- trailing; comment\n;",
]


@pytest.mark.parametrize("script", SCRIPTS)
def test_split_is_duckdbs(script):
    expected = [s.query.strip().rstrip(";").strip() for s in duckdb.connect().extract_statements(script)]
    assert SessionCursor.split(script) == expected


@pytest.mark.parametrize("script", SCRIPTS)
def test_reading_line_by_line_finds_the_same_statements_and_knows_when_they_end(script):
    reader = SessionCursor.reader()
    for number, line in enumerate(script.split("\n")):
        reader.add("\n" + line if number else line)
        text = "\n".join(script.split("\n")[: number + 1])
        try:  # complete: a token on a new line would start a new statement (an unterminated token: not complete)
            complete = len(SessionCursor.split(text + "\nx")) > len(SessionCursor.split(text))
        except SqlSyntaxError:
            complete = False
        assert reader.complete == complete, text
    assert reader.statements() == SessionCursor.split(script)


def test_an_unterminated_string_is_not_complete_and_a_split_error():
    reader = SessionCursor.reader()
    reader.add("SELECT 'abc;")
    assert not reader.complete and reader.has_tokens
    reader.add("\ndef';")
    assert reader.complete and reader.statements() == ["SELECT 'abc;\ndef'"]
    with pytest.raises(SqlSyntaxError, match="unterminated"):
        SessionCursor.split("SELECT 1; SELECT 'abc")


# what DuckDB calls the type of a statement whose first word is this (the others: the word itself)
_DUCKDB_TYPE = {
    "WITH": "SELECT",
    "FROM": "SELECT",
    "TABLE": "SELECT",
    "VALUES": "SELECT",
    "SHOW": "SELECT",
    "DESCRIBE": "SELECT",
    "SUMMARIZE": "SELECT",
    "BEGIN": "TRANSACTION",
    "COMMIT": "TRANSACTION",
    "ROLLBACK": "TRANSACTION",
    "RESET": "SET",
    "USE": "SET",
    "TRUNCATE": "DELETE",
    "CHECKPOINT": "CALL",
}


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT 1",
        "  -- a comment\n select 1",
        "WITH a AS (SELECT 1) SELECT * FROM a",
        "FROM range(3)",
        "TABLE t",
        "VALUES (1)",
        "SHOW TABLES",
        "DESCRIBE t",
        "SUMMARIZE t",
        "BEGIN",
        "COMMIT",
        "ROLLBACK",
        "SET threads = 1",
        "RESET threads",
        "USE memory",
        "PRAGMA version",
        "CALL pragma_version()",
        "EXPLAIN SELECT 1",
        "INSERT INTO t VALUES (1)",
        "UPDATE t SET a = 1",
        "DELETE FROM t",
        "TRUNCATE t",
        "CHECKPOINT",
        "CREATE TABLE x (a INTEGER)",
        "CREATE OR REPLACE VIEW w AS SELECT 1",
        "CREATE TEMP SEQUENCE s",
        "DROP VIEW IF EXISTS v",
        "ALTER TABLE t ADD COLUMN b INTEGER",
        "COPY t TO 'x.csv'",
    ],
)
def test_the_command_of_a_statement_is_the_one_duckdb_finds(statement):
    (found,) = duckdb.connect().extract_statements(statement)
    command = SessionCursor.command(statement)
    verb = command.split(" ")[0]
    assert _DUCKDB_TYPE.get(verb, verb) == found.type.name
    if verb in ("CREATE", "DROP"):  # the kind of object: what DuckDB then has (or has no more)
        kind = command.split(" ")[1]
        catalog = {"TABLE": "duckdb_tables()", "VIEW": "duckdb_views()", "SEQUENCE": "duckdb_sequences()"}[kind]
        with duckdb.connect() as db:
            db.execute("CREATE VIEW v AS SELECT 1")
            before = db.execute(f"SELECT count(*) FROM {catalog}").fetchone()[0]
            db.execute(statement)
            after = db.execute(f"SELECT count(*) FROM {catalog}").fetchone()[0]
        assert after - before == (1 if verb == "CREATE" else -1)


@pytest.mark.parametrize(
    "statement, command",
    [
        ("CREATE OR REPLACE MODEL m OPTIONS (model_type = 'linear_reg') AS SELECT 1", "CREATE MODEL"),
        ("drop model if exists m", "DROP MODEL"),
        ("EXPORT MODEL m OPTIONS (uri = 'm.onnx')", "EXPORT"),
        ("SELECT * FROM ML.PREDICT(MODEL m, TABLE t)", "SELECT"),
        ("", ""),
        ("-- only a comment", ""),
    ],
)
def test_the_command_of_an_ml_statement(statement, command):
    assert SessionCursor.command(statement) == command


@pytest.fixture
def tokenized(monkeypatch):
    """The length of each text the SQL tokenizer reads."""
    lengths = []
    tokenize = SqlmlDialect.Tokenizer.tokenize

    def counted(self, sql):
        lengths.append(len(sql))
        return tokenize(self, sql)

    monkeypatch.setattr(SqlmlDialect.Tokenizer, "tokenize", counted)
    return lengths


def test_a_plain_script_is_split_by_duckdb_alone(tokenized):
    """No ML keyword and no dot command: DuckDB's own parser splits the script, sqlml tokenizes nothing (and
    loads no tokenizer: the cold start of `sqlml DB -c "SELECT 42"`)."""
    shell = Shell(":memory:", "csv", stdout=io.StringIO(), stderr=io.StringIO())
    assert shell.run_script("SELECT 42 AS answer; SELECT 'a;b' AS s -- c;\n;")
    assert shell.stdout.getvalue() == "answer\n42\ns\na;b\n"
    assert tokenized == []
    shell.close()


def test_the_shell_tokenizes_a_statement_once(tokenized):
    shell = Shell(":memory:", "csv", stdout=io.StringIO(), stderr=io.StringIO())
    assert shell.run_script(".mode csv\nSELECT 42 AS answer;")  # a dot command: the shell reads the script
    assert shell.stdout.getvalue() == "answer\n42\n"
    assert tokenized == [len("SELECT 42 AS answer;")]
    shell.close()


def test_a_failing_statement_of_a_plain_script_is_named_by_its_line(tmp_path):
    shell = Shell(":memory:", "csv", stdout=io.StringIO(), stderr=io.StringIO())
    assert not shell.run_script("SELECT 1 AS a;\n\n-- next\nSELECT nosuch;\nSELECT 3 AS c;", "s.sql")
    assert shell.stdout.getvalue() == "a\n1\n"  # the statement after the failing one does not run
    assert "in s.sql, line 4" in shell.stderr.getvalue()
    shell.close()


def test_the_shell_reads_a_long_script_tokenizing_each_line_once(tokenized):
    rows = [f"({i}, 'line {i}; of a string\n that goes on')" for i in range(300)]  # strings span lines
    script = (
        ".mode csv\nCREATE TABLE big AS\n  SELECT * FROM (VALUES\n" + ",\n".join(rows) + ") v(i, s);\n"
        "SELECT count(*) AS n, sum(i) AS total FROM big;\n/* a comment\n over lines */\nSELECT max(i) AS top FROM big;"
    )
    shell = Shell(":memory:", "csv", stdout=io.StringIO(), stderr=io.StringIO())
    assert shell.run_script(script)
    assert shell.stdout.getvalue() == f"n,total\n300,{sum(range(300))}\ntop\n299\n"
    # each line once, those inside a string twice (with the next line, which closes it): twice the script at most
    assert sum(tokenized) <= 2 * len(script)
    shell.close()


def test_the_session_names_its_ml_functions_options_and_catalog_schema():
    session = Session()
    assert "ML.PREDICT" in session.ml_functions() and "model_type" in session.option_names()
    cursor = session.cursor()
    cursor.execute("CREATE TABLE d AS SELECT range::DOUBLE AS x, 2 * range + 1.0 AS y FROM range(20)")
    cursor.execute("CREATE MODEL m OPTIONS (model_type = 'linear_reg', input_label_cols = ['y']) AS SELECT * FROM d")
    cursor.execute("SELECT DISTINCT schema_name FROM duckdb_tables() WHERE table_name = 'models'")
    assert cursor.fetchall() == [(session.catalog_schema,)]  # where the catalog of CREATE MODEL went
    session.close()


def test_the_interactive_input_is_read_again_only_where_it_grew(tokenized):
    read = SessionCursor.reader().extended("SELECT 1,")
    assert not read.complete
    grown = read.extended("SELECT 1,\n  2;")
    assert grown is read and grown.complete and tokenized == [len("SELECT 1,"), len("\n  2;")]
    edited = grown.extended("SELECT 3,\n  2;")  # changed before its end: read whole again
    assert edited is not grown and edited.complete and edited.statements() == ["SELECT 3,\n  2"]
    assert grown.extended("SELECT 1,\n  2; SELECT") is not grown  # continued on the same line: read whole again

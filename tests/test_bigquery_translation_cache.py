"""A GoogleSQL statement a client repeats is split and translated once (`parser/bigquery.py`), but a wildcard table
(https://cloud.google.com/bigquery/docs/querying-wildcard-tables) reads the tables the database holds each time
the statement runs. Expected rows come from DuckDB running hand-written SQL on the same file."""

from __future__ import annotations

import duckdb
import pytest

import sqlml
from sqlml.errors import ProgrammingError
from sqlml.parser import bigquery
from sqlml.parser.wildcard_tables import Shard

WILDCARD = "SELECT _TABLE_SUFFIX AS day, SUM(n) AS total FROM `cache_ds.hits_*` GROUP BY day ORDER BY day"
BY_HAND = "SELECT '{day}' AS day, SUM(n) AS total FROM cache_ds.hits_{day}"


def test_a_repeated_statement_parses_once(monkeypatch):
    parsed = []
    parse = bigquery.parse_statement
    monkeypatch.setattr(bigquery, "parse_statement", lambda *args: parsed.append(args[0]) or parse(*args))
    text = 'SELECT IFNULL(NULL, "cached once") AS probe'
    translations = {bigquery.to_duckdb(text) for _ in range(3)}
    assert parsed == [text] and len(translations) == 1
    assert duckdb.sql(translations.pop()).fetchall() == [("cached once",)]


def test_a_wildcard_statement_asks_for_the_tables_each_time():
    asked = []

    def tables(catalog, schema, prefix):
        asked.append(prefix)
        return [Shard(f"w_{i}", (("a", "INTEGER"),)) for i in range(1, len(asked) + 1)]

    text = "SELECT COUNT(*) AS n FROM `cache_ds.w_*`"
    con = duckdb.connect()
    con.execute("CREATE SCHEMA cache_ds; CREATE TABLE cache_ds.w_1 AS SELECT 1 AS a")
    con.execute("CREATE TABLE cache_ds.w_2 AS SELECT 2 AS a")
    counts = [con.sql(bigquery.to_duckdb(text, tables)).fetchall() for _ in range(2)]
    assert asked == ["w_", "w_"] and counts == [[(1,)], [(2,)]]
    with pytest.raises(ProgrammingError, match="needs a database"):
        bigquery.to_duckdb(text)  # the cached tree was not changed by the expansions


def test_a_repeated_wildcard_query_reads_the_shards_created_meanwhile(tmp_path):
    days = ["20240101", "20240102", "20240103"]
    path = str(tmp_path / "shards.duckdb")
    with sqlml.connect(path, dialect="bigquery") as con:
        cur = con.cursor()
        cur.execute("SET sqlml_dialect = 'duckdb'")
        cur.execute("CREATE SCHEMA cache_ds")
        results = []
        for day in days:
            cur.execute(f"CREATE TABLE cache_ds.hits_{day} AS SELECT i AS n FROM range({int(day[-1]) * 3}) r(i)")
            results.append(con.cursor().execute(WILDCARD).fetchall())
    with duckdb.connect(path) as plain:
        expected = [
            plain.sql(" UNION ALL ".join(BY_HAND.format(day=day) for day in days[:k]) + " ORDER BY day").fetchall()
            for k in range(1, len(days) + 1)
        ]
    assert results == expected


def test_a_split_is_a_new_list_each_time():
    text = "SELECT 1; SELECT 'two';"
    bigquery.split_bigquery(text).append("SELECT 3")
    assert bigquery.split_bigquery(text) == ["SELECT 1", "SELECT 'two'"]


def test_a_text_longer_than_the_cached_ones_still_translates():
    literal = "x" * bigquery._CACHED_LENGTH
    text = f'SELECT LENGTH("{literal}") AS n; SELECT IFNULL(NULL, 7) AS m'
    statements = bigquery.split_bigquery(text)
    assert [duckdb.sql(bigquery.to_duckdb(s)).fetchall() for s in statements] == [[(len(literal),)], [(7,)]]

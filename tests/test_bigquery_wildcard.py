"""BigQuery's wildcard tables (`` `dataset.prefix*` `` and `_TABLE_SUFFIX`) in the BigQuery dialect, as
https://cloud.google.com/bigquery/docs/querying-wildcard-tables defines them: the union of the tables of the
dataset named the prefix and one or more characters more; `_TABLE_SUFFIX` the part of each one's name the `*`
matched, outside `SELECT *`; the newest table's columns (sqlml: the last by name), NULL where a table lacks one;
an error for a column of another type, a view among the matches, or no match. The expected rows come from
DuckDB itself, running hand-written UNION ALLs of the same tables."""

from __future__ import annotations

import json
import math
from pathlib import Path

import duckdb
import pytest

import sqlml
from sqlml.engine import dialects
from sqlml.engine.session import Session
from sqlml.errors import ProgrammingError
from sqlml.parser.bigquery import to_duckdb
from sqlml.parser.wildcard_tables import Shard

PAGE = "https://cloud.google.com/bigquery/docs/querying-wildcard-tables"

# the union of ds.sales_*, written by hand: sales_2025 (the last by name) gives the columns and their order
SALES = (
    "SELECT amount, id, NULL AS region, '2023' AS suffix FROM ds.sales_2023"
    " UNION ALL SELECT amount, id, NULL, '2024' FROM ds.sales_2024"
    " UNION ALL SELECT amount, id, region, '2025' FROM ds.sales_2025"
)


@pytest.fixture
def db(tmp_path) -> Path:
    """A DuckDB file written by DuckDB: three yearly shards of ds.sales_ (the last with a column more, in
    another order; the first with a column the last lacks), tables the wildcard must not match, and
    ds.points_NN for the ML statements (y = 2x + 1)."""
    path = tmp_path / "shards.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA ds; CREATE SCHEMA other")
        con.execute(
            "CREATE TABLE ds.sales_2023 AS SELECT i AS id, i * 1.5 AS amount, 'old' AS legacy FROM range(3) r(i)"
        )
        con.execute("CREATE TABLE ds.sales_2024 AS SELECT i AS id, i * 2.5 AS amount FROM range(10, 14) r(i)")
        con.execute(
            "CREATE TABLE ds.sales_2025 AS SELECT i * 3.5 AS amount, i AS id, ['n', 's'][i % 2 + 1] AS region"
            " FROM range(20, 22) r(i)"
        )
        con.execute("CREATE TABLE ds.sales_ AS SELECT 99.0 AS amount, 99 AS id, 'x' AS region")  # no suffix
        con.execute("CREATE TABLE ds.salesman AS SELECT 98.0 AS amount, 98 AS id, 'x' AS region")
        con.execute("CREATE TABLE other.sales_2023 AS SELECT 97.0 AS amount, 97 AS id, 'x' AS region")
        for day in range(1, 5):
            con.execute(
                f"CREATE TABLE ds.points_{day:02d} AS SELECT (i + {day})::DOUBLE AS x,"
                f" 2 * (i + {day}) + 1 + (i % 3 - 1) * 0.1 AS y FROM range(8) r(i)"
            )
    return path


def duck(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path)) as con:
        return con.execute(sql).fetchall()


def bigquery(path: Path, sql: str, params=None) -> tuple[list[str], list[tuple]]:
    """(column names, rows) of a GoogleSQL statement through sqlml."""
    with sqlml.connect(str(path), dialect="bigquery") as con:
        cur = con.cursor()
        cur.execute(sql, params)
        return [column[0] for column in cur.description or ()], cur.fetchall() if cur.description else []


def test_rows_are_the_union_of_the_matching_tables(db):
    columns, rows = bigquery(db, "SELECT *, _TABLE_SUFFIX FROM `ds.sales_*` ORDER BY id")
    assert columns == ["amount", "id", "region", "_TABLE_SUFFIX"]
    assert rows == duck(db, f"SELECT * FROM ({SALES}) ORDER BY id")


def test_select_star_leaves_the_pseudocolumn_out(db):
    """`SELECT *` and `alias.*` give the newest table's columns; `_TABLE_SUFFIX` only when named."""
    expected = duck(db, f"SELECT * EXCLUDE (suffix) FROM ({SALES}) ORDER BY id")
    assert bigquery(db, "SELECT * FROM `ds.sales_*` ORDER BY id") == (["amount", "id", "region"], expected)
    assert bigquery(db, "SELECT s.* FROM `ds.sales_*` AS s ORDER BY s.id") == (["amount", "id", "region"], expected)
    columns, rows = bigquery(db, "SELECT * EXCEPT (region), _TABLE_SUFFIX AS y FROM `ds.sales_*` ORDER BY id")
    assert (columns, rows) == (["amount", "id", "y"], duck(db, f"SELECT amount, id, suffix FROM ({SALES}) ORDER BY id"))


@pytest.mark.parametrize(
    "condition",
    [
        "_TABLE_SUFFIX BETWEEN '2024' AND '2025'",
        "_TABLE_SUFFIX = '2023'",
        "_TABLE_SUFFIX IN ('2023', '2025') AND amount > 0",
        "_TABLE_SUFFIX < '2024' OR id > 20",
        "REGEXP_CONTAINS(_TABLE_SUFFIX, '^202[45]$')",
    ],
)
def test_table_suffix_filters_the_tables(db, condition):
    reference = condition.replace("_TABLE_SUFFIX", "suffix").replace("REGEXP_CONTAINS", "regexp_matches")
    _, rows = bigquery(db, f"SELECT id, amount FROM `ds.sales_*` WHERE {condition} ORDER BY id")
    assert rows == duck(db, f"SELECT id, amount FROM ({SALES}) WHERE {reference} ORDER BY id")
    assert rows  # every condition keeps some rows


def test_table_suffix_as_a_parameter_and_in_aggregates(db):
    _, rows = bigquery(
        db,
        "SELECT _TABLE_SUFFIX AS year, COUNT(*), SUM(amount) FROM `ds.sales_*` WHERE _TABLE_SUFFIX >= ? "
        "GROUP BY 1 ORDER BY 1",
        ["2024"],
    )
    assert rows == duck(db, f"SELECT suffix, COUNT(*), SUM(amount) FROM ({SALES}) WHERE suffix >= '2024' GROUP BY 1 "
                        "ORDER BY 1")  # fmt: skip


def test_columns_are_the_newest_tables(db):
    """A column the newest (last) table lacks is not there; one only it has is NULL in the others' rows."""
    _, rows = bigquery(db, "SELECT _TABLE_SUFFIX, COUNT(region) FROM `ds.sales_*` GROUP BY 1 ORDER BY 1")
    assert rows == [("2023", 0), ("2024", 0), ("2025", 2)]
    with pytest.raises(ProgrammingError, match="legacy"):
        bigquery(db, "SELECT legacy FROM `ds.sales_*`")


def test_columns_match_by_name_regardless_of_case(db):
    with duckdb.connect(str(db)) as con:
        con.execute(
            "CREATE TABLE ds.cased_1 AS SELECT 1 AS Amount; CREATE TABLE ds.cased_2 AS SELECT 2 AS v, 3 AS amount"
        )
    _, rows = bigquery(db, "SELECT _TABLE_SUFFIX, amount, v FROM `ds.cased_*` ORDER BY 1")
    assert rows == duck(db, "SELECT '1', Amount, NULL FROM ds.cased_1 UNION ALL SELECT '2', amount, v FROM ds.cased_2")


def test_a_sample_of_the_wildcard_table(db):
    """TABLESAMPLE applies to the union; PIVOT is refused."""
    _, rows = bigquery(db, "SELECT COUNT(*) FROM `ds.sales_*` AS s TABLESAMPLE SYSTEM (0 PERCENT)")
    assert rows == duck(db, f"SELECT COUNT(*) FROM ({SALES}) TABLESAMPLE SYSTEM (0 PERCENT)") == [(0,)]
    with pytest.raises(ProgrammingError, match=r"`ds\.sales_\*` takes an alias and TABLESAMPLE only, not pivots"):
        bigquery(db, "SELECT * FROM `ds.sales_*` PIVOT (SUM(amount) FOR id IN (1, 2))")


def test_an_empty_prefix_matches_every_table_of_the_dataset(db):
    """`dataset.*`: _TABLE_SUFFIX holds whole table names."""
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE SCHEMA two; CREATE TABLE two.a AS SELECT 1 AS v; CREATE TABLE two.b AS SELECT 2 AS v")
    assert bigquery(db, "SELECT _TABLE_SUFFIX, v FROM `two.*` ORDER BY v") == (
        ["_TABLE_SUFFIX", "v"],
        [("a", 1), ("b", 2)],
    )


def test_a_column_of_another_type_is_an_error(db):
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE ds.mixed_1 AS SELECT 1 AS v; CREATE TABLE ds.mixed_2 AS SELECT 'one' AS v")
    with pytest.raises(
        ProgrammingError, match=r"`ds\.mixed_\*` has column v of type VARCHAR .*mixed_1 has it as INTEGER"
    ):
        bigquery(db, "SELECT * FROM `ds.mixed_*`")


def test_no_match_or_a_view_is_an_error_and_changes_nothing(db):
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE VIEW ds.sales_view AS SELECT * FROM ds.sales_2025")
    before = duck(db, "SELECT schema_name, table_name FROM duckdb_tables() ORDER BY ALL")
    with pytest.raises(ProgrammingError, match=r"`ds\.nothing_\*` matches no table of dataset ds"):
        bigquery(db, "CREATE TABLE ds.made AS SELECT * FROM `ds.nothing_*`")
    with pytest.raises(ProgrammingError, match=r"`ds\.sales_\*` matches the view sales_view of dataset ds"):
        bigquery(db, "CREATE TABLE ds.made AS SELECT * FROM `ds.sales_*`")
    with pytest.raises(ProgrammingError, match=r"`bigquery-public-data\.ds\.sales_\*` matches no table of dataset "
                       r"bigquery-public-data\.ds"):  # fmt: skip
        bigquery(db, "CREATE TABLE ds.made AS SELECT * FROM `bigquery-public-data.ds.sales_*`")
    assert duck(db, "SELECT schema_name, table_name FROM duckdb_tables() ORDER BY ALL") == before


def test_the_filter_limits_the_tables_scanned(db):
    """DuckDB's plan of the translated query reads only the tables the _TABLE_SUFFIX filter keeps."""
    session = Session(str(db))
    try:
        translated = dialects.to_duckdb("SELECT id FROM `ds.sales_*` WHERE _TABLE_SUFFIX > '2023'", session.cursor())
        plan = session.connection.execute(f"EXPLAIN (FORMAT JSON) {translated}").fetchall()[0][1]
    finally:
        session.close()
    scans = [node["extra_info"]["Table"] for node in _nodes(json.loads(plan)) if node["name"] == "SEQ_SCAN"]
    assert sorted(scans) == ["shards.ds.sales_2024", "shards.ds.sales_2025"]


def _nodes(plan: list[dict]):
    for node in plan:
        yield node
        yield from _nodes(node.get("children", []))


def test_the_translation_asks_the_callback_for_the_tables():
    """The parser reads no database: a callback gives the tables, for the catalog, dataset and prefix written."""
    asked = []

    def tables(catalog, schema, prefix):
        asked.append((catalog, schema, prefix))
        return [Shard("ga_1", (("a", "INTEGER"),)), Shard("ga_2", (("a", "INTEGER"),))]

    to_duckdb("SELECT a FROM `proj.ds.ga_*`", tables)
    sql = to_duckdb("SELECT g.a, _TABLE_SUFFIX FROM `ga_*` AS g WHERE _TABLE_SUFFIX = '2'", tables)
    assert asked == [("proj", "ds", "ga_"), ("", "", "ga_")]
    con = duckdb.connect()
    con.execute("CREATE TABLE ga_1 AS SELECT 1 AS a; CREATE TABLE ga_2 AS SELECT 2 AS a")
    assert con.sql(sql).fetchall() == [(2, "2")]
    with pytest.raises(ProgrammingError, match="wildcard table `ds.ga_\\*` needs a database"):
        to_duckdb("SELECT * FROM `ds.ga_*`")


def test_create_model_and_predict_read_the_wildcard(db):
    """CREATE MODEL on the wildcard filtered by _TABLE_SUFFIX fits what the same rows in one table fit; ML.PREDICT
    takes the wildcard as TABLE and in a query (the Google Analytics tutorial's form)."""
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE ds.train AS FROM ds.points_02 UNION ALL FROM ds.points_03")
        con.execute("CREATE TABLE ds.everything AS " + " UNION ALL ".join(f"FROM ds.points_0{d}" for d in range(1, 5)))
    options = "OPTIONS (model_type = 'linear_reg', input_label_cols = ['y'], data_split_method = 'NO_SPLIT')"
    with sqlml.connect(str(db), dialect="bigquery") as con:
        cur = con.cursor()
        cur.execute(
            f"CREATE MODEL ds.m {options} AS SELECT x, y FROM `ds.points_*` WHERE _TABLE_SUFFIX BETWEEN '02' AND '03'"
        )
        cur.execute(f"CREATE MODEL ds.ref {options} AS SELECT x, y FROM ds.train")
        weights = [cur.execute(f"SELECT processed_input, weight FROM ML.WEIGHTS(MODEL ds.{m}) ORDER BY 1").fetchall()
                   for m in ("m", "ref")]  # fmt: skip
        cur.execute("SELECT * FROM ML.PREDICT(MODEL ds.m, TABLE `ds.points_*`) ORDER BY x, y")
        table_form = ([c[0] for c in cur.description], cur.fetchall())
        cur.execute("SELECT * FROM ML.PREDICT(MODEL ds.m, TABLE ds.everything) ORDER BY x, y")
        reference = ([c[0] for c in cur.description], cur.fetchall())
        cur.execute(
            "SELECT day, predicted_y FROM ML.PREDICT(MODEL ds.m, (SELECT x, _TABLE_SUFFIX AS day FROM `ds.points_*` "
            "WHERE _TABLE_SUFFIX = '04')) ORDER BY x"
        )
        query_form = cur.fetchall()
        cur.execute("SELECT '04', predicted_y FROM ML.PREDICT(MODEL ds.m, TABLE ds.points_04) ORDER BY x")
        assert query_form == cur.fetchall()
    assert [name for name, _ in weights[0]] == [name for name, _ in weights[1]]
    assert all(math.isclose(a, b, rel_tol=1e-9) for (_, a), (_, b) in zip(weights[0], weights[1], strict=True))
    assert table_form == reference
    assert len(query_form) == 8

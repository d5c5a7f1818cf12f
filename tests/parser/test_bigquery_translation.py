"""The BigQuery dialect's translation: GoogleSQL run in DuckDB gives the values BigQuery's reference pages
document; ML statements come out as sqlml's DuckDB dialect reads them; bad GoogleSQL gets a SqlSyntaxError
at its place."""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal

import duckdb
import pytest
from sqlglot import exp

from sqlml.engine.sqltext.bigquery_functions import apply_settings, install_functions
from sqlml.errors import NotSupportedError, SqlSyntaxError
from sqlml.parser import AlterModel, CreateModel, DropModel, ExportModel, MLFunction, parse_statement
from sqlml.parser.bigquery import split_bigquery, to_duckdb
from sqlml.parser.nodes import python_value

REFERENCE = "https://cloud.google.com/bigquery/docs/reference/standard-sql/"
UTC = dt.UTC


@pytest.fixture(scope="module")
def duck():
    connection = duckdb.connect()
    install_functions(connection)
    install_functions(connection)  # idempotent
    apply_settings(connection)
    yield connection
    connection.close()


def run(duck, googlesql: str) -> list[tuple]:
    return duck.sql(to_duckdb(googlesql)).fetchall()


CASES = [
    # hash_functions#farm_fingerprint: the page's example table
    (
        "hash_functions#farm_fingerprint",
        "SELECT FARM_FINGERPRINT(CONCAT(CAST(x AS STRING), y, CAST(z AS STRING))) FROM UNNEST("
        "[STRUCT(1 AS x, 'foo' AS y, true AS z), STRUCT(2, 'apple', false), STRUCT(3, '', true)]) ORDER BY x",
        [(-1541654101129638711,), (2794438866806483259,), (-4880158226897771312,)],
    ),
    # date_functions#extract: "DAYOFWEEK: values in the range [1,7] with Sunday as the first day"; 2013-12-25
    # is a Wednesday, 2024-03-16 a Saturday, 2024-03-17 a Sunday
    (
        "date_functions#extract",
        "SELECT EXTRACT(DAYOFWEEK FROM DATE '2013-12-25'), EXTRACT(DAYOFWEEK FROM DATE '2024-03-16'), "
        "EXTRACT(DAYOFWEEK FROM DATE '2024-03-17')",
        [(4, 7, 1)],
    ),
    # date_functions#extract: the page's table of ISOYEAR / ISOWEEK / YEAR / WEEK around New Year 2016
    (
        "date_functions#extract",
        "SELECT EXTRACT(ISOYEAR FROM date), EXTRACT(ISOWEEK FROM date), EXTRACT(YEAR FROM date), "
        "EXTRACT(WEEK FROM date) FROM UNNEST(GENERATE_DATE_ARRAY('2015-12-26', '2016-01-04')) AS date ORDER BY date",
        [(2015, 52, 2015, 51), (2015, 52, 2015, 52)]
        + [(2015, 53, 2015, 52)] * 4
        + [(2015, 53, 2016, 0)] * 2
        + [(2015, 53, 2016, 1), (2016, 1, 2016, 1)],
    ),
    # datetime_functions#extract: WEEK(SUNDAY) 45 and WEEK(MONDAY) 44 for 2017-11-05
    (
        "datetime_functions#extract",
        "SELECT EXTRACT(WEEK(SUNDAY) FROM DATETIME '2017-11-05 00:00:00'), "
        "EXTRACT(WEEK(MONDAY) FROM DATETIME '2017-11-05 00:00:00')",
        [(45, 44)],
    ),
    # timestamp_functions#extract: MILLISECOND is the millisecond within the second
    (
        "timestamp_functions#extract",
        "SELECT EXTRACT(MILLISECOND FROM TIMESTAMP '2020-01-01 10:00:12.345+00')",
        [(345,)],
    ),
    # query-syntax#unnest_operator: an unaliased UNNEST of an array of structs gives a column per field
    (
        "query-syntax#unnest_operator",
        "SELECT * FROM UNNEST(ARRAY<STRUCT<x INT64, y STRING, z STRUCT<a INT64, b INT64>>>"
        "[(1, 'foo', (10, 11)), (3, 'bar', (20, 21))])",
        [(1, "foo", {"a": 10, "b": 11}), (3, "bar", {"a": 20, "b": 21})],
    ),
    (
        "query-syntax#unnest_operator",
        "WITH t AS (SELECT 7 AS id, [STRUCT('n1' AS name, 3 AS v), STRUCT('n2', 4)] AS items) "
        "SELECT id, name, v FROM t, UNNEST(items) ORDER BY v",
        [(7, "n1", 3), (7, "n2", 4)],
    ),
    # data-types#constructing_a_struct: the tuples after a typed STRUCT in an array take its type (as the anomaly
    # detection tutorial writes its new rows)
    (
        "data-types#constructing_a_struct",
        "SELECT * FROM UNNEST([STRUCT<date TIMESTAMP, pm25 FLOAT64>('2023-02-01 00:00:00 UTC', 8.8), "
        "('2023-02-02 00:00:00 UTC', 11)])",
        [(dt.datetime(2023, 2, 1, tzinfo=UTC), 8.8), (dt.datetime(2023, 2, 2, tzinfo=UTC), 11.0)],
    ),
    # query-syntax#unnest_operator: WITH OFFSET numbers the elements from 0 (the page's example), also in a
    # LEFT JOIN, where an empty array keeps its row
    (
        "query-syntax#unnest_operator",
        "SELECT * FROM UNNEST(['foo', 'bar', 'baz', 'qux', 'corge', 'garply', 'waldo', 'fred']) AS element "
        "WITH OFFSET AS offset ORDER BY offset",
        list(zip(["foo", "bar", "baz", "qux", "corge", "garply", "waldo", "fred"], range(8), strict=True)),
    ),
    (
        "query-syntax#unnest_operator",
        "SELECT id, x, off FROM (SELECT 1 AS id, [10, 20] AS arr UNION ALL SELECT 2, []) AS t "
        "LEFT JOIN UNNEST(t.arr) AS x WITH OFFSET off ORDER BY id, off",
        [(1, 10, 0), (1, 20, 1), (2, None, None)],
    ),
    # functions-reference#safe_prefix: SAFE. returns NULL where the function raises (LN and SQRT of a negative
    # number raise: mathematical_functions#ln, #sqrt)
    (
        "functions-reference#safe_prefix",
        "SELECT SAFE.LOG(-1), SAFE.SQRT(-4), SAFE.LN(0), SAFE.SQRT(4), SAFE.PARSE_DATE('%Y%m%d', 'nope')",
        [(None, None, None, 2.0, None)],
    ),
    # mathematical_functions#safe_divide and #safe_multiply: NULL for division by zero and overflow
    (
        "mathematical_functions#safe_divide",
        "SELECT SAFE_DIVIDE(20, 4), SAFE_DIVIDE(0, 20), SAFE_DIVIDE(20, 0), "
        "SAFE_MULTIPLY(9223372036854775807, 2), SAFE_ADD(5, 4), SAFE_SUBTRACT(5, 4), SAFE_NEGATE(1)",
        [(5.0, 0.0, None, None, 9, 1, -1)],
    ),
    # timestamp_functions#parse_timestamp: a format without a zone reads UTC; %c is the page's example
    (
        "timestamp_functions#parse_timestamp",
        "SELECT PARSE_TIMESTAMP('%c', 'Thu Dec 25 07:30:00 2008'), PARSE_TIMESTAMP('%Y%m%d', '20240315'), "
        "PARSE_TIMESTAMP('%Y-%m-%d %H:%M', '2024-03-15 10:00', 'America/New_York')",
        [
            (
                dt.datetime(2008, 12, 25, 7, 30, tzinfo=UTC),
                dt.datetime(2024, 3, 15, tzinfo=UTC),
                dt.datetime(2024, 3, 15, 14, 0, tzinfo=UTC),
            )
        ],
    ),
    # date_functions#parse_date and #format_date: the pages' examples
    (
        "date_functions#format_date",
        "SELECT PARSE_DATE('%Y%m%d', '20081225'), FORMAT_DATE('%b-%d-%Y', DATE '2008-12-25'), "
        "FORMAT_DATE('%Y/%m/%d %A', DATE '2024-03-17')",
        [(dt.date(2008, 12, 25), "Dec-25-2008", "2024/03/17 Sunday")],
    ),
    # array_functions#generate_array: the page's examples, and FLOAT64 steps (the inputs may be INT64,
    # NUMERIC, BIGNUMERIC or FLOAT64; lexical#floating_point_literals: 0.25 is a FLOAT64)
    (
        "array_functions#generate_array",
        "SELECT GENERATE_ARRAY(0, 10, 3), GENERATE_ARRAY(10, 0, -3), GENERATE_ARRAY(4, 4, 10), "
        "GENERATE_ARRAY(10, 0, 3), GENERATE_ARRAY(5, NULL, 1), GENERATE_ARRAY(0, 1, 0.25), "
        "GENERATE_ARRAY(2.5, 0, -1)",
        [
            (
                [0, 3, 6, 9],
                [10, 7, 4, 1],
                [4],
                [],
                None,
                [0.0, 0.25, 0.5, 0.75, 1.0],
                [2.5, 1.5, 0.5],
            )
        ],
    ),
    # data-types#decimal_types: NUMERIC has 9 decimal digits
    ("data-types#decimal_types", "SELECT CAST('1.23456' AS NUMERIC)", [(Decimal("1.23456"),)]),
    # date_functions#date_add, #date_sub, #date_trunc: DATE results
    (
        "date_functions#date_add",
        "SELECT DATE_ADD(DATE '2008-12-25', INTERVAL 5 DAY), DATE_SUB(DATE '2008-12-25', INTERVAL 5 DAY), "
        "DATE_ADD(DATE '2024-01-31', INTERVAL 1 MONTH), DATE_TRUNC(DATE '2008-12-25', MONTH), "
        "DATE_TRUNC(DATE '2017-11-05', WEEK(MONDAY)), DATE_TRUNC(DATE '2015-06-15', ISOYEAR)",
        [
            (
                dt.date(2008, 12, 30),
                dt.date(2008, 12, 20),
                dt.date(2024, 2, 29),
                dt.date(2008, 12, 1),
                dt.date(2017, 10, 30),
                dt.date(2014, 12, 29),
            )
        ],
    ),
    # timestamp_functions#timestamp_trunc and #extract: a TIMESTAMP stays one; EXTRACT(DATE FROM ...) is a DATE
    (
        "timestamp_functions#timestamp_trunc",
        "SELECT TIMESTAMP_TRUNC(TIMESTAMP '2008-12-25 15:30:00+00', MONTH), "
        "EXTRACT(DATE FROM TIMESTAMP '2008-12-25 15:30:00+00'), DATE_DIFF(DATE '2020-03-01', DATE '2020-01-01', WEEK)",
        [(dt.datetime(2008, 12, 1, tzinfo=UTC), dt.date(2008, 12, 25), 9)],
    ),
    # aggregate_functions#array_agg: the page's LIMIT examples
    (
        "aggregate_functions#array_agg",
        "SELECT ARRAY_AGG(x LIMIT 5), ARRAY_AGG(x ORDER BY x DESC LIMIT 3) FROM UNNEST([2, 1, -2, 3, -2, 1, 2]) AS x",
        [([2, 1, -2, 3, -2], [3, 2, 2])],
    ),
    # approximate_aggregate_functions#approx_quantiles: the page's examples (the boundaries are input values)
    (
        "approximate_aggregate_functions#approx_quantiles",
        "SELECT APPROX_QUANTILES(x, 2) FROM UNNEST([1, 1, 1, 4, 5, 6, 7, 8, 9, 10]) AS x",
        [([1, 5, 10],)],
    ),
    (
        "approximate_aggregate_functions#approx_quantiles",
        "SELECT APPROX_QUANTILES(x, 100)[OFFSET(90)] FROM UNNEST([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) AS x",
        [(9,)],
    ),
    # struct_functions / array_functions#array: STRUCT(x AS f) and ARRAY subqueries
    (
        "array_functions#array",
        "SELECT STRUCT(1 AS f, 'a' AS g).g, ARRAY(SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 ORDER BY 1), "
        "ARRAY(SELECT AS STRUCT 1 AS a, 2 AS b)",
        [("a", [1, 2, 3], [{"a": 1, "b": 2}])],
    ),
    # mathematical_functions#ieee_divide and #range_bucket: the pages' examples
    (
        "mathematical_functions#ieee_divide",
        "SELECT IEEE_DIVIDE(20.0, 4.0), IEEE_DIVIDE(0.0, 25.0), IEEE_DIVIDE(25.0, 0.0), IEEE_DIVIDE(-25.0, 0.0), "
        "IS_NAN(IEEE_DIVIDE(0.0, 0.0)), IEEE_DIVIDE(NULL, 0.0)",
        [(5.0, 0.0, math.inf, -math.inf, True, None)],
    ),
    (
        "mathematical_functions#range_bucket",
        "SELECT RANGE_BUCKET(20, [0, 10, 20, 30, 40]), RANGE_BUCKET(25, [0, 10, 20, 30, 40]), "
        "RANGE_BUCKET(-10, [5, 10, 20, 30, 40]), RANGE_BUCKET(80, [0, 10, 20, 30, 40]), "
        "RANGE_BUCKET(NULL, [0, 10, 20, 30, 40])",
        [(3, 3, 0, 5, None)],
    ),
    # string_functions#substr: a position 0 or left of the start reads from the first character
    (
        "string_functions#substr",
        "SELECT SUBSTR('apple', 0, 2), SUBSTR('apple', -9, 2), SUBSTR('apple', -2), SUBSTR('apple', 2, 3), "
        "SUBSTR('apple', 1, 123)",
        [("ap", "ap", "le", "ppl", "apple")],
    ),
    # timestamp_functions#format_timestamp with a time zone; lexical#floating_point_literals: 1.50 and 0.1 are
    # FLOAT64 values
    (
        "timestamp_functions#format_timestamp",
        "SELECT FORMAT_TIMESTAMP('%Y-%m-%d %H:%M', TIMESTAMP '2020-01-01 03:00:00+00', 'America/New_York'), "
        "CAST(1.50 AS STRING), 0.1 + 0.2 = 0.3",
        [("2019-12-31 22:00", "1.5", False)],
    ),
    # string_functions#format_string, conditional_expressions#ifnull, double-quoted strings
    (
        "string_functions#format_string",
        "SELECT FORMAT('%d', 10), FORMAT('-%s-', 'abcd efg'), IFNULL(NULL, \"\"), \"WY\" = 'WY'",
        [("10", "-abcd efg-", "", True)],
    ),
]


@pytest.mark.parametrize(("page", "googlesql", "expected"), CASES, ids=[case[0] for case in CASES])
def test_construct_gives_bigquerys_documented_value(duck, page, googlesql, expected):
    assert run(duck, googlesql) == expected, f"{REFERENCE}{page}"


def test_nulls_sort_as_in_bigquery(duck):
    """query-syntax#order_by_clause: NULLs come first in ascending order and last in descending order (DuckDB's
    own default puts them last both ways), in window orderings too."""
    rows = "FROM UNNEST([2, NULL, 1]) AS x"
    assert run(duck, f"SELECT x {rows} ORDER BY x") == [(None,), (1,), (2,)]
    assert run(duck, f"SELECT x {rows} ORDER BY x DESC") == [(2,), (1,), (None,)]
    assert run(duck, f"SELECT x, ROW_NUMBER() OVER (ORDER BY x) AS n {rows} ORDER BY n") == [(None, 1), (1, 2), (2, 3)]


def test_division_by_zero_raises_as_in_bigquery(duck):
    """operators#arithmetic_operators: division by zero is an error (DuckDB's default gives inf)."""
    with pytest.raises(duckdb.Error, match="(?i)division by zero"):
        run(duck, "SELECT 1 / 0")
    assert run(duck, "SELECT 7 / 2, DIV(7, 2), MOD(-7, 2)") == [(3.5, 3, -1)]


def test_farm_fingerprint_is_visible_from_a_cursor_settings_are_not(duck):
    """The UDF belongs to the database, the settings to the connection: apply them on each cursor."""
    cursor = duck.cursor()
    cursor.execute("SET TimeZone = 'America/New_York'")
    assert cursor.sql(to_duckdb("SELECT FARM_FINGERPRINT('3true')")).fetchall() == [(-4880158226897771312,)]
    assert cursor.sql("SELECT 1 / 0").fetchall() == [(float("inf"),)]
    assert apply_settings(cursor) == {"ieee_floating_point_ops": "true", "TimeZone": "America/New_York"}
    with pytest.raises(duckdb.Error, match="(?i)division by zero"):
        cursor.sql("SELECT 1 / 0").fetchall()
    # timestamp_functions#unix_seconds (1230219000 for 2008-12-25 15:30:00+00) and #timezone_definitions: a
    # TIMESTAMP literal without a zone is UTC
    seconds = "SELECT UNIX_SECONDS(TIMESTAMP '2008-12-25 15:30:00')"
    assert cursor.sql(to_duckdb(seconds)).fetchall() == [(1230219000,)]
    assert duck.execute("SELECT current_setting('TimeZone')").fetchall() == [("UTC",)]


def test_backticked_and_dashed_names_map_to_catalog_schema_table(duck):
    duck.execute("ATTACH ':memory:' AS \"my-proj\"")
    duck.execute('CREATE SCHEMA "my-proj".ds; CREATE TABLE "my-proj".ds.t AS SELECT 42 AS v')
    duck.execute("CREATE SCHEMA ds; CREATE TABLE ds.t AS SELECT 7 AS v")
    for name, value in [("`my-proj.ds.t`", 42), ("my-proj.ds.t", 42), ("`my-proj`.ds.t", 42), ("`ds.t`", 7)]:
        assert run(duck, f"SELECT v FROM {name}") == [(value,)], name


def test_unnest_alias_that_shadows_its_array_names_the_element(duck):
    """The implicit-feedback tutorial's query (bigqueryml-mf-implicit-tutorial), `#` comments included: `hits`
    is the element of UNNEST(hits) AS hits, also in the correlated subquery."""
    duck.execute(
        "CREATE TABLE ga360 AS SELECT * FROM (VALUES ('v1', ["
        "{'time': 10, 'type': 'PAGE', 'customDimensions': [{'index': 10, 'value': 'c1'}, {'index': 2, 'value': 'x'}]},"
        "{'time': 25, 'type': 'EVENT', 'customDimensions': [{'index': 10, 'value': 'c9'}]},"
        "{'time': 40, 'type': 'PAGE', 'customDimensions': [{'index': 10, 'value': 'c2'}]},"
        "{'time': 70, 'type': 'PAGE', 'customDimensions': [{'index': 10, 'value': 'c1'}]}])) AS v(fullVisitorId, hits)"
    )
    googlesql = """WITH visitor_page_content AS (
      SELECT fullVisitorID,
        (SELECT MAX(IF(index = 10, value, NULL)) FROM UNNEST(hits.customDimensions)) AS latestContentId,
        (LEAD(hits.time, 1) OVER (PARTITION BY fullVisitorId ORDER BY hits.time ASC) - hits.time) AS session_duration
      FROM `ga360`, UNNEST(hits) AS hits
      WHERE
        # only include hits on pages
        hits.type = "PAGE"
      GROUP BY fullVisitorId, latestContentId, hits.time)
    # aggregate web stats
    SELECT fullVisitorID AS visitorId, latestContentId AS contentId, SUM(session_duration) AS session_duration
    FROM visitor_page_content
    WHERE latestContentId IS NOT NULL
    GROUP BY fullVisitorID, latestContentId
    HAVING session_duration > 0
    ORDER BY latestContentId"""
    # page hits at 10 (c1), 40 (c2), 70 (c1): durations to the next page hit 30, 30, none
    assert run(duck, googlesql) == [("v1", "c1", 30), ("v1", "c2", 30)]
    assert run(duck, "SELECT tags FROM (SELECT ['a', 'b'] AS tags), UNNEST(tags) AS tags") == [("a",), ("b",)]


def test_st_distance_of_points_is_the_great_circle_distance(duck):
    """geography_functions#st_distance: meters on a sphere (use_spheroid FALSE, the default), here London to
    Paris as the k-means tutorial measures stations from the city centre; the reference is the haversine
    formula in Python on S2's Earth radius."""
    (lon1, lat1), (lon2, lat2) = (-0.1, 51.5), (2.35, 48.85)
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    chord = (
        math.sin((phi2 - phi1) / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    expected = 2 * 6371010.0 * math.asin(math.sqrt(chord))
    googlesql = (
        f"WITH s AS (SELECT ST_GEOGPOINT({lon1}, {lat1}) AS centre) "
        f"SELECT ST_DISTANCE(ST_GEOGPOINT({lon2}, {lat2}), centre) / 1000, ST_DISTANCE(centre, centre, FALSE) FROM s"
    )
    ((kilometres, zero),) = run(duck, googlesql)
    assert kilometres == pytest.approx(expected / 1000, rel=1e-12) and 340 < kilometres < 345 and zero == 0


def test_st_distance_on_the_spheroid_is_refused():
    """geography_functions#st_distance: use_spheroid = TRUE measures on the WGS84 spheroid, which sqlml does not."""
    with pytest.raises(NotSupportedError, match="use_spheroid = TRUE"):
        to_duckdb("SELECT ST_DISTANCE(ST_GEOGPOINT(1, 2), ST_GEOGPOINT(1, 3), TRUE)")


def _parts(table) -> tuple[str, ...]:
    return tuple(part.name for part in table.parts)


def test_create_model_reads_as_the_same_nodes():
    """bigqueryml-syntax-create: the penguins tutorial's statement, with GoogleSQL in its query."""
    node = parse_statement(
        to_duckdb(
            "CREATE OR REPLACE MODEL `bqml_tutorial.penguins_model`\n"
            'OPTIONS (model_type="linear_reg", input_label_cols=["body_mass_g"]) AS\n'
            "SELECT * FROM `bigquery-public-data.ml_datasets.penguins` WHERE body_mass_g IS NOT NULL AND "
            'IFNULL(sex, "") != ""'
        )
    )
    assert isinstance(node, CreateModel) and node.args["replace"]
    assert _parts(node.this) == ("bqml_tutorial", "penguins_model")
    options = {option.name: option.args["value"] for option in node.args["options"]}
    assert options["model_type"].name == "linear_reg"
    assert [value.name for value in options["input_label_cols"].expressions] == ["body_mass_g"]
    (table,) = node.args["query"].find_all(exp.Table)
    assert _parts(table) == ("bigquery-public-data", "ml_datasets", "penguins")


def test_unnamed_structs_of_options_read_as_written_in_duckdbs_dialect():
    """class_weights' STRUCT('a', 0.5) (bigqueryml-syntax-create-boosted-tree) and the wide-and-deep page's
    per-part LEARN_RATE, which the translation writes as {'_0': ..., '_1': ...}, read as the same values."""
    options = "class_weights=[STRUCT('a', 0.5), STRUCT('b', 2.0)], learn_rate=[STRUCT('dnn', 0.001)]"
    read = [
        {o.name: python_value(o.args["value"]) for o in parse_statement(sql).args["options"]}
        for sql in (
            to_duckdb(f"CREATE MODEL m OPTIONS({options}) AS SELECT 1 AS x"),
            f"CREATE MODEL m OPTIONS({options}) AS SELECT 1 AS x",
        )
    ]
    assert read[0] == read[1] == {"class_weights": [("a", 0.5), ("b", 2.0)], "learn_rate": [("dnn", 0.001)]}


def test_create_model_with_transform_and_unquoted_names():
    node = parse_statement(
        to_duckdb(
            "CREATE MODEL IF NOT EXISTS ds.m TRANSFORM(ML.QUANTILE_BUCKETIZE(x, 3) OVER () AS xb, label) "
            'OPTIONS(model_type="logistic_reg") AS SELECT 1 AS x, 2 AS label'
        )
    )
    assert node.args["exists"] and _parts(node.this) == ("ds", "m")
    assert [expression.alias_or_name for expression in node.args["transform"]] == ["xb", "label"]


def test_ml_functions_read_as_the_same_nodes():
    """bigqueryml-syntax-predict, -roc, -detect-anomalies: MODEL, TABLE / (query), STRUCT and value lists."""
    select = parse_statement(
        to_duckdb(
            "SELECT * FROM ML.PREDICT(MODEL `bqml_tutorial.penguins_model`, "
            '(SELECT * FROM `ml_datasets.penguins` WHERE island = "Biscoe"), STRUCT(0.5 AS threshold))'
        )
    )
    call = select.find(MLFunction)
    assert call.name == "PREDICT" and _parts(call.args["model"]) == ("bqml_tutorial", "penguins_model")
    params = [(field.name, python_value(field.expression)) for field in call.args["params"].expressions]
    assert params == [("threshold", 0.5)]
    assert "'Biscoe'" in call.args["input"].sql("duckdb")

    roc = parse_statement(
        to_duckdb("SELECT * FROM ML.ROC_CURVE(MODEL `ds.m`, TABLE `p.ds.t`, GENERATE_ARRAY(0.4, 0.6, 0.1))")
    )
    call = roc.find(MLFunction)
    assert _parts(call.args["input"]) == ("p", "ds", "t")
    assert call.values_list == pytest.approx([0.4, 0.5, 0.6])

    anomalies = parse_statement(
        to_duckdb("SELECT * FROM ML.DETECT_ANOMALIES(MODEL ds.m VERSION 2, STRUCT(0.02 AS contamination), TABLE t)")
    )
    call = anomalies.find(MLFunction)
    assert call.args["version"] == 2 and call.args["params"].expressions[0].name == "contamination"


def test_alter_model_reads_as_the_same_node(duck):
    """bigqueryml-syntax-alter-model: the expiration option's TIMESTAMP "..." (a UTC timestamp) stays a value."""
    node = parse_statement(
        to_duckdb('ALTER MODEL IF EXISTS `ds.m` SET OPTIONS (expiration_timestamp = TIMESTAMP "2035-02-03 12:34:56")')
    )
    assert isinstance(node, AlterModel) and node.args["exists"] and _parts(node.this) == ("ds", "m")
    (option,) = node.args["options"]
    value = duck.sql(f"SELECT {option.args['value'].sql('duckdb')}").fetchall()
    assert option.name == "expiration_timestamp" and value == [(dt.datetime(2035, 2, 3, 12, 34, 56, tzinfo=UTC),)]


ML_REFERENCE = "https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-"
REFERENCE_CALLS = [
    (
        "evaluate",
        "SELECT * FROM ML.EVALUATE(MODEL `mydataset.mymodel`, TABLE `mydataset.mytable`, STRUCT(0.55 AS threshold))",
    ),
    (
        "detect-anomalies",
        "SELECT * FROM ML.DETECT_ANOMALIES(MODEL `mydataset.mymodel`, STRUCT(0.8 AS anomaly_prob_threshold))",
    ),
    ("roc", "SELECT * FROM ML.ROC_CURVE(MODEL `mydataset.mymodel`, TABLE `mydataset.mytable`, [0.4, 0.5, 0.6])"),
    ("weights", "SELECT * FROM ML.WEIGHTS(MODEL `mydataset.mymodel`, STRUCT(true AS standardize))"),
    (
        "forecast",
        "SELECT * FROM ML.FORECAST(MODEL `mydataset.mymodel`, STRUCT(30 AS horizon, 0.8 AS confidence_level))",
    ),
    ("trial-info", "SELECT * FROM ML.TRIAL_INFO(MODEL `mydataset.mymodel`)"),
    (
        "describe-data",
        "SELECT * FROM ML.DESCRIBE_DATA(TABLE `mydataset.mymodel`, STRUCT(3 AS top_k, 4 AS num_quantiles))",
    ),
]


@pytest.mark.parametrize(("page", "googlesql"), REFERENCE_CALLS, ids=[page for page, _ in REFERENCE_CALLS])
def test_reference_page_calls_read_as_ml_functions(page, googlesql):
    call = parse_statement(to_duckdb(googlesql)).find(MLFunction)
    named = call.args.get("model") or call.args.get("input")
    assert _parts(named) == ("mydataset", "mymodel"), f"{ML_REFERENCE}{page}"
    params = call.args.get("params")
    expected = googlesql.count(" AS ")
    assert len(params.expressions if params else []) == expected


def test_drop_and_export_model_names():
    drop = parse_statement(to_duckdb("DROP MODEL IF EXISTS `ds.m`"))
    assert isinstance(drop, DropModel) and drop.args["exists"] and _parts(drop.this) == ("ds", "m")
    export = parse_statement(to_duckdb('EXPORT MODEL `ds.m` OPTIONS(uri="dir/saved_model/")'))
    assert isinstance(export, ExportModel) and export.args["options"][0].args["value"].name == "dir/saved_model/"


@pytest.mark.parametrize(
    ("googlesql", "message", "line", "col"),
    [
        ('SELECT 1,\n  "abc', "unterminated", 2, 3),
        ("SELECT *\nFROM t WHERE (a = 1", "Expected ')'", 2, 20),
        ("CREATE MODEL `a.b.c`\nOPTIONS(model_type='linear_reg') AS SELECT 1", "at most 2 parts", 1, 14),
        ("SELECT *\nFROM ML.PREDICT(MODEL , TABLE t)", "Expected a model name", 2, 23),
        ("SELECT 1;\n  SELECT 2", "single statement", 2, 3),
        ("SELECT 1, # a comment; and 'a quote\n  'x", "unterminated", 2, 3),
    ],
)
def test_bad_googlesql_gets_a_syntax_error_at_its_place(googlesql, message, line, col):
    with pytest.raises(SqlSyntaxError, match=re.escape(message)) as caught:
        to_duckdb(googlesql)
    assert (caught.value.line, caught.value.col) == (line, col)


def test_split_keeps_googlesql_tokens_whole():
    text = "SELECT '''a;b''' AS x; # a comment; with a semicolon\nSELECT `ds.t;u`.v FROM t;\n-- only a comment\n;"
    assert split_bigquery(text) == ["SELECT '''a;b''' AS x", "# a comment; with a semicolon\nSELECT `ds.t;u`.v FROM t"]
    with pytest.raises(SqlSyntaxError, match="unterminated"):
        split_bigquery("SELECT '''open")

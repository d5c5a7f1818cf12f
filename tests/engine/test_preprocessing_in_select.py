"""The preprocessing functions, ML.DISTANCE and ML.LP_NORM in any query's expressions.

Three kinds of checks: BigQuery ML's documented examples (each reference page's query and output, the page cited;
GoogleSQL's double-quoted strings written single-quoted, `arr[OFFSET(0)]` as `arr[1]`), the query path against the
TRANSFORM path on the same rows for each of the 17 functions, and errors naming the function and argument.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial import distance

import sqlml


def _rows(con, sql: str) -> list[tuple]:
    cur = con.cursor()
    cur.execute(sql)
    return cur.fetchall()


def _column(con, sql: str) -> list:
    return [row[-1] for row in _rows(con, sql)]


# --- BigQuery ML's documented examples -----------------------------------------------------------------------------


def test_bucketize(con):
    """https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-bucketize"""
    sql = (
        "SELECT ML.BUCKETIZE(2.5, [1, 2, 3]) AS bucket, ML.BUCKETIZE(2.5, [1, 2, 3], TRUE) AS bucket_without_boundaries"
    )
    assert _rows(con, sql) == [("bin_3", "bin_2")]


def test_quantile_bucketize_as_written_on_the_page(con):
    """https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-quantile-bucketize: the query
    verbatim (a double-quoted constant argument is BigQuery's string, as in OPTIONS)."""
    rows = _rows(
        con,
        'SELECT f, ML.QUANTILE_BUCKETIZE(f, 3) OVER() AS bucket, ML.QUANTILE_BUCKETIZE(f, 3, "bucket_ranges") OVER() '
        'AS bucket_ranges, ML.QUANTILE_BUCKETIZE(f, 3, "bucket_ranges_json") OVER() AS bucket_ranges_json '
        "FROM UNNEST([1,2,3,4,5]) AS f ORDER BY f;",
    )
    assert [r[:3] for r in rows[:2]] == [(1, "bin_1", "(-inf, 2.0)"), (2, "bin_2", "[2.0, 4.0)")]


def test_quantile_bucketize(con):
    """https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-quantile-bucketize: names as on the page; ranges in its documented formats, around the quantiles
    1/3 and 2/3 of 1..5 taken as data values (2 and 4, what the names imply)."""
    rows = _rows(
        con,
        "SELECT f, ML.QUANTILE_BUCKETIZE(f, 3) OVER() AS bucket, "
        "ML.QUANTILE_BUCKETIZE(f, 3, 'bucket_ranges') OVER() AS bucket_ranges, "
        "ML.QUANTILE_BUCKETIZE(f, 3, 'bucket_ranges_json') OVER() AS bucket_ranges_json "
        "FROM UNNEST([1,2,3,4,5]) AS f ORDER BY f",
    )
    assert [r[1] for r in rows] == ["bin_1", "bin_2", "bin_2", "bin_3", "bin_3"]
    low, middle, high = "(-inf, 2.0)", "[2.0, 4.0)", "[4.0, +inf)"
    assert [r[2] for r in rows] == [low, middle, middle, high, high]
    ends = [("-Infinity", "2.0"), ("2.0", "4.0"), ("2.0", "4.0"), ("4.0", "Infinity"), ("4.0", "Infinity")]
    assert [r[3] for r in rows] == [f'{{"start": "{s}", "end": "{e}"}}' for s, e in ends]


@pytest.mark.parametrize(
    "page, sql, expected",
    [
        (
            "standard-scaler",
            "SELECT f, ML.STANDARD_SCALER(f) OVER() AS output FROM UNNEST([1,2,3,4,5]) AS f ORDER BY f",
            [-1.2649110640673518, -0.6324555320336759, 0.0, 0.6324555320336759, 1.2649110640673518],
        ),
        (
            "min-max-scaler",
            "SELECT f, ML.MIN_MAX_SCALER(f) OVER() AS output FROM UNNEST([1,2,3,4,5]) AS f ORDER BY f",
            [0.0, 0.25, 0.5, 0.75, 1.0],
        ),
        (
            "max-abs-scaler",
            "SELECT f, ML.MAX_ABS_SCALER(f) OVER () AS output FROM UNNEST([NULL, -3, 1, 2, 3, 4, 5]) AS f "
            "ORDER BY f NULLS FIRST",
            [None, -0.6, 0.2, 0.4, 0.6, 0.8, 1.0],
        ),
        (
            "robust-scaler",
            "SELECT f, ML.ROBUST_SCALER(f) OVER () AS output FROM UNNEST([NULL, -3, 1, 2, 3, 4, 5]) AS f "
            "ORDER BY f NULLS FIRST",
            [None, -1.6666666666666667, -0.3333333333333333, 0.0, 0.3333333333333333, 0.6666666666666666, 1.0],
        ),
        (
            "imputer",
            "SELECT f, ML.IMPUTER(f, 'mean') OVER () AS output FROM UNNEST([NULL, -3, -3, -3, 1, 2, 3, 4, 5]) AS f "
            "ORDER BY f NULLS FIRST",
            [0.75, -3.0, -3.0, -3.0, 1.0, 2.0, 3.0, 4.0, 5.0],
        ),
        (
            "imputer",
            "SELECT f, ML.IMPUTER(f, 'most_frequent') OVER () AS output FROM UNNEST([NULL, NULL, NULL, NULL, 'a', "
            "'a', 'b', 'b', 'c', 'c', 'c']) AS f ORDER BY f NULLS FIRST",
            ["c", "c", "c", "c", "a", "a", "b", "b", "c", "c", "c"],
        ),
        (
            "label-encoder",
            "SELECT f, ML.LABEL_ENCODER(f, 2, 2) OVER () AS output FROM UNNEST([NULL, 'a', 'b', 'b', 'c', 'c', 'c', "
            "'d', 'd']) AS f ORDER BY f NULLS FIRST",
            [0, 0, 1, 1, 2, 2, 2, 0, 0],
        ),
        ("normalizer", "SELECT ML.NORMALIZER([4.0, 1.0, 2.0, 2.0, 0.0]) AS output", [[0.8, 0.2, 0.4, 0.4, 0.0]]),
        ("ngrams", "SELECT ML.NGRAMS(['a', 'b', 'c'], [2,3], '#') AS output", [["a#b", "a#b#c", "b#c"]]),
        (
            "feature-cross",
            "SELECT ML.FEATURE_CROSS(STRUCT('a' AS f1, 'b' AS f2, 'c' AS f3)) AS output",
            [{"f1_f2": "a_b", "f1_f3": "a_c", "f2_f3": "b_c"}],
        ),
        (
            "polynomial-expand",
            "SELECT ML.POLYNOMIAL_EXPAND(STRUCT(2 AS f1, 3 AS f2)) AS output",
            [{"f1": 2.0, "f1_f1": 4.0, "f1_f2": 6.0, "f2": 3.0, "f2_f2": 9.0}],
        ),
    ],
)
def test_documented_example(con, page, sql, expected):
    """https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-<page>: the page's query and its output."""
    got = _column(con, sql)
    if isinstance(expected[0], float):
        np.testing.assert_allclose(np.array(got, dtype=float), expected, rtol=1e-15, equal_nan=True)
    else:
        assert got == expected


def test_multi_hot_encoder(con):
    """https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-multi-hot-encoder: the
    vocabulary is the 3 categories in the most rows (c in 2; a, b and d in 1, ties to the smaller), so a, b, c ->
    1, 2, 3, each index listed once where it first appears."""
    rows = _rows(
        con,
        "SELECT f[1] AS f0, ML.MULTI_HOT_ENCODER(f, 3, 1) OVER () AS output FROM (SELECT ['a', 'b', 'b', 'c', NULL] "
        "AS f UNION ALL SELECT ['c', 'c', 'd', 'd', NULL] AS f) ORDER BY f[1]",
    )
    assert [(f0, [(e["index"], e["value"]) for e in out]) for f0, out in rows] == [
        ("a", [(1, 1.0), (2, 1.0), (3, 1.0), (0, 1.0)]),
        ("c", [(3, 1.0), (0, 1.0)]),
    ]


def test_one_hot_encoder_type_and_dummy_encoding(con):
    """https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-one-hot-encoder:
    ARRAY<STRUCT<index INT64, value FLOAT64>>, the vocabulary sorted, NULL and unknown categories at index 0; with
    drop = 'most_frequent' (dummy encoding) the most frequent category keeps its index with the value 0."""
    cur = con.cursor()
    cur.execute(
        "SELECT f, ML.ONE_HOT_ENCODER(f) OVER () AS hot, ML.ONE_HOT_ENCODER(f, 'most_frequent', 10, 1) OVER () AS dummy "
        "FROM UNNEST(['b', 'a', 'b', NULL, 'c', 'b', 'a', 'a', 'a', 'b', 'b']) AS f ORDER BY f NULLS FIRST"
    )
    assert cur.description[1][1] == 'STRUCT("index" BIGINT, "value" DOUBLE)[]'
    rows = cur.fetchall()
    hot = {f: [(e["index"], e["value"]) for e in h] for f, h, _ in rows}  # frequency_threshold 5: only b (5 rows)
    assert hot == {None: [(0, 1.0)], "a": [(0, 1.0)], "b": [(1, 1.0)], "c": [(0, 1.0)]}
    dummy = {f: [(e["index"], e["value"]) for e in d] for f, _, d in rows}  # a, b, c -> 1, 2, 3; b dropped
    assert dummy == {None: [(0, 1.0)], "a": [(1, 1.0)], "b": [(2, 0.0)], "c": [(3, 1.0)]}


def test_lp_norm(con):
    """https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-lp-norm: the page's vectors, against numpy; NULL for a NULL vector."""
    v1, v2 = [4.1, 0.5, 1.0], [3.0, 0.0, 2.5]
    got = _rows(
        con,
        f"SELECT ML.LP_NORM({v1}, 2.0), ML.LP_NORM({v2}, 2.0), ML.LP_NORM({v1}, 1), ML.LP_NORM({v2}, 0), "
        f"ML.LP_NORM({v1}, CAST('INF' AS DOUBLE)), ML.LP_NORM(CAST(NULL AS DOUBLE[]), 2.0)",
    )[0]
    expected = [np.linalg.norm(v1), np.linalg.norm(v2), np.linalg.norm(v1, 1), 2.0, np.linalg.norm(v1, np.inf)]
    np.testing.assert_allclose(got[:5], expected, rtol=1e-15)
    assert got[5] is None


def test_distance_matches_scipy(con):
    """https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-distance: EUCLIDEAN (the default), MANHATTAN and COSINE, against scipy; NULL for a NULL vector."""
    a, b = [1.0, -2.0, 3.5, 0.25], [0.5, 4.0, -1.0, 2.0]
    got = _rows(
        con,
        f"SELECT ML.DISTANCE({a}, {b}), ML.DISTANCE({a}, {b}, 'MANHATTAN'), ML.DISTANCE({a}, {b}, 'cosine'), "
        f"ML.DISTANCE({a}, NULL)",
    )[0]
    expected = [distance.euclidean(a, b), distance.cityblock(a, b), distance.cosine(a, b)]
    np.testing.assert_allclose(got[:3], expected, rtol=1e-14)
    assert got[3] is None


def test_hash_bucketize_uses_farm_fingerprint(con):
    """https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-hash-bucketize buckets by
    FARM_FINGERPRINT (the page: 'a' in 3 buckets is 0): FarmHash's Fingerprint64 (read unsigned) modulo the
    bucket count; hash_bucket_size 0 gives the fingerprint itself, as a signed INT64 (FARM_FINGERPRINT's)."""
    import farmhash

    got = _rows(
        con, "SELECT f, ML.HASH_BUCKETIZE(f, 3), ML.HASH_BUCKETIZE(f, 0) FROM UNNEST(['a', 'b', NULL, 'zz']) AS f"
    )
    fingerprints = [None if f is None else farmhash.Fingerprint64(f.encode()) for f, *_ in got]
    assert got[0][1] == 0
    assert [r[1] for r in got] == [None if h is None else h % 3 for h in fingerprints]
    assert [r[2] for r in got] == [None if h is None else h - 2**64 if h >= 2**63 else h for h in fingerprints]


# --- the query path equals the TRANSFORM path ----------------------------------------------------------------------

ROWS = (
    "SELECT i AS id, CASE WHEN i % 7 = 3 THEN NULL ELSE (i * 37 % 23) / 4.0 END AS x, "
    "['red', 'green', 'blue', 'red', NULL][i % 5 + 1] AS c, "
    "string_split(['the cat sat', 'a dog', 'the dog ran far', 'cat cat', 'the end'][i % 5 + 1], ' ') AS doc, "
    "(i % 4) * 1.5 AS y FROM range(40) r(i)"
)
ITEMS = [  # the same expression in TRANSFORM and in a query
    "ML.IMPUTER(x, 'median') OVER ()",
    "ML.IMPUTER(c, 'most_frequent') OVER ()",
    "ML.STANDARD_SCALER(x) OVER ()",
    "ML.MIN_MAX_SCALER(x) OVER ()",
    "ML.MAX_ABS_SCALER(x) OVER ()",
    "ML.ROBUST_SCALER(x, [10, 90]) OVER ()",
    "ML.NORMALIZER([x, y, 1.0], 1)",
    "ML.BUCKETIZE(x, [1, 3, 5], FALSE, 'bucket_ranges')",
    "ML.QUANTILE_BUCKETIZE(x, 4) OVER ()",
    "ML.LABEL_ENCODER(c, 2, 1) OVER ()",
    "ML.ONE_HOT_ENCODER(c, 'most_frequent', 10, 1) OVER ()",
    "ML.MULTI_HOT_ENCODER(doc, 3, 2) OVER ()",
    "ML.HASH_BUCKETIZE(c, 5)",
    "ML.FEATURE_CROSS(STRUCT(c AS color, CAST(id % 2 AS VARCHAR) AS parity))",
    "ML.POLYNOMIAL_EXPAND(STRUCT(x AS a, y AS b), 3)",
    "ML.NGRAMS(doc, [1, 2])",
    "ML.BAG_OF_WORDS(doc, 4, 1) OVER ()",
    "ML.TF_IDF(doc, 4, 2) OVER ()",
]


@pytest.fixture(scope="module")
def rows():
    with sqlml.connect() as con:
        con.cursor().execute(f"CREATE TABLE t AS {ROWS}")
        yield con


@pytest.mark.parametrize("item", ITEMS)
def test_query_equals_transform(rows, item):
    """Fitted on all the training rows (NO_SPLIT), ML.TRANSFORM of those rows gives what the query gives."""
    cur = rows.cursor()
    cur.execute(
        f"CREATE OR REPLACE MODEL m TRANSFORM({item} AS f, id, y) OPTIONS(model_type='linear_reg', "
        "input_label_cols=['y'], data_split_method='NO_SPLIT') AS SELECT * FROM t"
    )
    cur.execute("SELECT id, f FROM ML.TRANSFORM(MODEL m, TABLE t) ORDER BY id")
    fitted = cur.fetchall()
    cur.execute(f"SELECT id, {item} AS f FROM t ORDER BY id")
    assert cur.fetchall() == fitted


def test_all_seventeen_are_compared():
    from sqlml.engine.data.preprocessors import PREPROCESSORS

    assert {item.split("(")[0].removeprefix("ML.") for item in ITEMS} == set(PREPROCESSORS)


def test_in_where_joins_ctes_and_subqueries(rows):
    """Window statistics are over the rows of the query the call is in: after WHERE, in a CTE, a subquery, a join."""
    got = _column(
        rows,
        "WITH s AS (SELECT id, ML.STANDARD_SCALER(x) OVER () AS z FROM t WHERE x IS NOT NULL) "
        "SELECT count(*) FROM s JOIN (SELECT id FROM t WHERE ML.BUCKETIZE(x, [2]) = 'bin_2') u USING (id) "
        "WHERE abs(z) < (SELECT max(ML.LP_NORM([x], 1)) FROM t)",
    )
    x = np.array([v for (v,) in _rows(rows, "SELECT x FROM t WHERE x IS NOT NULL")])
    z = (x - x.mean()) / x.std(ddof=1)
    assert got == [int(np.sum((x >= 2) & (np.abs(z) < x.max())))]


def test_over_groups(rows):
    """In a grouped query the statistics are over its groups, as any window function's (window aggregates then)."""
    got = _rows(
        rows,
        "SELECT c, ML.STANDARD_SCALER(sum(x)) OVER () AS z, ML.LABEL_ENCODER(c, 10, 1) OVER () AS code FROM t "
        "GROUP BY c ORDER BY c NULLS FIRST",
    )
    sums = _rows(rows, "SELECT c, sum(x) FROM t GROUP BY c ORDER BY c NULLS FIRST")
    totals = np.array([v for _, v in sums])
    z = (totals - totals.mean()) / totals.std(ddof=1)
    names = sorted(c for c, _ in sums if c is not None)
    assert [c for c, *_ in got] == [c for c, _ in sums]
    np.testing.assert_allclose([v for _, v, _ in got], z, rtol=1e-12)
    assert [code for *_, code in got] == [0 if c is None else names.index(c) + 1 for c, _ in sums]


def test_inside_an_ml_function_input(rows):
    """A call in the input query of an ML table function is planned with that input."""
    rows.cursor().execute(
        "CREATE OR REPLACE MODEL lin OPTIONS(model_type='linear_reg', input_label_cols=['y']) AS SELECT x, y FROM t "
        "WHERE x IS NOT NULL"
    )
    got = _column(
        rows,
        "SELECT count(*) FROM ML.PREDICT(MODEL lin, (SELECT ML.MIN_MAX_SCALER(x) OVER () AS x FROM t)) "
        "WHERE x BETWEEN 0 AND 1",
    )
    assert got == [34]  # the 40 rows less the 6 NULL ones
    rows.cursor().execute(
        "CREATE OR REPLACE MODEL tr TRANSFORM(x * 2 AS doubled) OPTIONS(model_type='transform_only') AS SELECT x FROM t"
    )
    got = _column(
        rows, "SELECT max(doubled) FROM ML.TRANSFORM(MODEL tr, (SELECT ML.MIN_MAX_SCALER(x) OVER () AS x FROM t))"
    )
    assert got == [2.0]  # ML.TRANSFORM returns SQL around its input: the input's calls are written out first


def test_a_view_keeps_the_calls_as_sql(rows):
    """ML.<FN>() of values are SQL, so a view may hold them (unlike ML table functions, whose relations exist
    while a statement runs); its window statistics follow the table's rows."""
    cur = rows.cursor()
    cur.execute("CREATE TABLE v_rows AS SELECT * FROM (VALUES (1.0), (3.0)) t(x)")
    cur.execute("CREATE VIEW v AS SELECT ML.MIN_MAX_SCALER(x) OVER () AS s, ML.BUCKETIZE(x, [2]) AS b FROM v_rows")
    assert _rows(rows, "SELECT * FROM v ORDER BY s") == [(0.0, "bin_1"), (1.0, "bin_2")]
    cur.execute("INSERT INTO v_rows VALUES (5.0)")
    assert _rows(rows, "SELECT * FROM v ORDER BY s") == [(0.0, "bin_1"), (0.5, "bin_2"), (1.0, "bin_2")]


# --- errors ----------------------------------------------------------------------------------------------------------

BAD = [  # (expression, exception, fragments of the message)
    ("ML.BUCKETIZE(1, 'x')", sqlml.ProgrammingError, ["ML.BUCKETIZE split_points", "array of finite numbers"]),
    ("ML.BUCKETIZE(1, [1], FALSE, 'names')", sqlml.ProgrammingError, ["ML.BUCKETIZE output_format", "bucket_ranges"]),
    ("ML.STANDARD_SCALER(1)", sqlml.ProgrammingError, ["ML.STANDARD_SCALER", "OVER ()"]),
    ("ML.BUCKETIZE(1, [1]) OVER ()", sqlml.ProgrammingError, ["ML.BUCKETIZE", "scalar", "remove OVER"]),
    ("ML.STANDARD_SCALER(1) OVER (ORDER BY 1)", sqlml.NotSupportedError, ["ML.STANDARD_SCALER", "empty OVER ()"]),
    ("ML.QUANTILE_BUCKETIZE(1, 1) OVER ()", sqlml.ProgrammingError, ["ML.QUANTILE_BUCKETIZE num_buckets", ">= 2"]),
    ("ML.IMPUTER(1) OVER ()", sqlml.ProgrammingError, ["ML.IMPUTER needs its strategy"]),
    ("ML.NORMALIZER([1.0], 0.5)", sqlml.ProgrammingError, ["ML.NORMALIZER p", ">= 1"]),
    ("ML.FEATURE_CROSS(s) FROM (SELECT {'a': 'x'} AS s)", sqlml.NotSupportedError, ["ML.FEATURE_CROSS", "STRUCT("]),
    ("ML.STANDARD_SCALER(ML.IMPUTER(1, 'mean') OVER ()) OVER ()", sqlml.NotSupportedError, ["subquery"]),
    ("ML.LP_NORM([1.0], 0.5)", sqlml.ProgrammingError, ["ML.LP_NORM degree", ">= 1"]),
    ("ML.LP_NORM([1.0])", sqlml.ProgrammingError, ["ML.LP_NORM takes 2 arguments"]),
    ("ML.DISTANCE([1.0], [2.0], 'CHEBYSHEV')", sqlml.ProgrammingError, ["ML.DISTANCE type", "'COSINE'"]),
    ("ML.DISTANCE([1.0], [2.0, 3.0])", sqlml.ProgrammingError, ["ML.DISTANCE", "same length"]),
    (
        "ML.STANDARD_SCALR(1) OVER ()",
        sqlml.ProgrammingError,
        ["unknown function ML.STANDARD_SCALR", "ML.STANDARD_SCALER"],
    ),
]


@pytest.mark.parametrize("expression, error, fragments", BAD)
def test_bad_calls(con, expression, error, fragments):
    with pytest.raises(error) as info:
        _rows(con, f"SELECT {expression}")
    for fragment in fragments:
        assert fragment in str(info.value)

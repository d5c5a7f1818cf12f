"""fit_features_sql (DuckDB aggregates) against fit_features (pyarrow and numpy over the same rows, read into
Python): the same specs, floats of sums (mean, std, stddev) within 1e-12 of the values' magnitude, everything
else equal. Also the shared pieces of features.py against numpy: the buckets against numpy.histogram, a
constant column's statistics against hand-computed ones."""

import datetime
import math
import time

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sqlml.engine.data.features import (
    HISTOGRAM_BUCKETS,
    MAX_CATEGORIES,
    _counts,
    fit_category_encoding,
    fit_features,
    spec_leaves,
)
from sqlml.engine.data.features_sql import fit_category_encoding_sql, fit_features_sql
from sqlml.errors import DataError, NotSupportedError
from tests.conftest import make_frame

SUMS = ("mean", "std", "stddev")  # sums of floats, in another order in DuckDB (Kahan's) than in numpy (pairwise)


def outcome(fit):
    """The specs `fit()` returns, or the error it raises as (type, message)."""
    try:
        return fit()
    except (DataError, NotSupportedError) as exc:
        return type(exc), str(exc)


def both(con, relation: str, columns: list[str], buckets: int = HISTOGRAM_BUCKETS):
    """(fit_features_sql's, fit_features's) outcome for `columns` of `relation`."""
    selected = ", ".join('"' + name.replace('"', '""') + '"' for name in columns)
    table = con.sql(f"SELECT {selected} FROM ({relation})").to_arrow_table()
    return (
        outcome(lambda: fit_features_sql(con, relation, columns, buckets)),
        outcome(lambda: fit_features(table, columns, buckets)),
    )


def assert_same(got, expected, path="", scale=0.0):
    """`got` equals `expected`: the same keys in the same order, sums within 1e-12 relative or of `scale`,
    the largest magnitude of the leaf's values (a cancelling sum is exact only to the terms' magnitude)."""
    if isinstance(expected, dict):
        assert list(got) == list(expected), path
        if "min" in expected:
            scale = max(abs(expected["min"]), abs(expected["max"]))
        for key in expected:
            if key in SUMS and isinstance(expected[key], float):
                assert math.isclose(got[key], expected[key], rel_tol=1e-12, abs_tol=1e-12 * scale), (path, key)
                assert (got["std"] == 1.0) == (expected["std"] == 1.0), (path, "std set to 1")
            else:
                assert_same(got[key], expected[key], f"{path}.{key}", scale)
    elif isinstance(expected, (list, tuple)):
        assert len(got) == len(expected), path
        for i, (a, b) in enumerate(zip(got, expected)):
            assert_same(a, b, f"{path}[{i}]", scale)
    else:
        assert type(got) is type(expected) and got == expected, (path, got, expected)


@pytest.fixture
def duck():
    con = duckdb.connect()
    yield con
    con.close()


FLOATS = st.one_of(
    st.none(),
    st.floats(-1e6, 1e6, allow_subnormal=False),
    st.sampled_from([0.1, 0.2, 0.3, -0.0, 1.0, 1.0000000000000002, 1e-300, 2.5e15]),
)
SPECIALS = st.one_of(
    FLOATS, st.sampled_from([math.nan, math.inf, -math.inf, 1e300, -1e300, 1.7976931348623157e308, 1e200])
)
TEXTS = st.one_of(st.none(), st.sampled_from(["", "a", "b", "B", "é", "a b", "10", "9"]), st.text(max_size=3))
DATES = st.one_of(st.none(), st.dates(), st.sampled_from([datetime.date(1969, 12, 31), datetime.date(2024, 2, 29)]))
TIMES = st.one_of(st.none(), st.datetimes(datetime.datetime(1900, 1, 1), datetime.datetime(2100, 1, 1)))
ROW = st.tuples(
    FLOATS, SPECIALS, st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1)), TEXTS, st.booleans(), DATES, TIMES
)
GENERATED = [("x", pa.float64()), ("w", pa.float64()), ("i", pa.int64()), ("s", pa.string())]
GENERATED += [("b", pa.bool_()), ("d", pa.date32()), ("t", pa.timestamp("us"))]
# every other kind, derived in SQL from the generated columns (tm, dec: fitted by fit_features, see features_sql)
DERIVED = """x, w, i, s, CASE WHEN i IS NULL THEN NULL ELSE b END AS b, d, t, t::TIMESTAMPTZ AS tz, t::TIME AS tm,
    t::TIMESTAMP_MS AS tms, t::TIMESTAMP_S AS tsec,
    (x * 100)::DECIMAL(38, 3) AS dec, i::HUGEINT * 1000 AS huge, (i % 7)::TINYINT AS small, 42 AS single, NULL::DOUBLE AS nothing,
    TRY_CAST(s AS ENUM('', 'a', 'b', 'B', 'é', 'a b', '10', '9')) AS e,
    {'a': x, 'b': s} AS st, CASE WHEN b THEN NULL ELSE [s, 'a', s] END AS words, [x, i % 5] AS vec,
    CASE WHEN x IS NULL THEN NULL ELSE [{'index': i % 4, 'value': x}, {'index': 2, 'value': 1.5}] END AS sparse"""
KINDS = [
    "x",
    "i",
    "tm",
    "tms",
    "tsec",
    "s",
    "b",
    "d",
    "t",
    "tz",
    "dec",
    "huge",
    "small",
    "single",
    "nothing",
    "e",
    "st",
    "words",
    "vec",
    "sparse",
]


def generated(con, rows) -> str:
    """The relation of hypothesis' `rows` with the derived columns."""
    columns = list(zip(*rows)) if rows else [[] for _ in GENERATED]
    table = pa.table({name: pa.array(list(values), dtype) for (name, dtype), values in zip(GENERATED, columns)})
    con.register("generated_rows", table)
    con.execute("CREATE OR REPLACE TABLE rows_t AS SELECT " + DERIVED + " FROM generated_rows")
    return "SELECT * FROM rows_t"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(ROW, max_size=300), buckets=st.sampled_from([HISTOGRAM_BUCKETS, 1, 3]))
def test_every_kind_matches_fit_features(duck, rows, buckets):
    """Every kind in one batch: NULLs, duplicates, one distinct value, all NULL, no rows, other bucket counts."""
    assert_same(*both(duck, generated(duck, rows), KINDS, buckets))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(ROW, max_size=300))
def test_all_columns_at_once_match_and_raise_the_first_error(duck, rows):
    """All in one batch (NaN, inf or an overflow in `w` is the DataError fit_features raises, in order)."""
    relation = generated(duck, rows)
    got, expected = both(duck, relation, ["x", "w", *KINDS[1:]])
    assert_same(got, expected)


ENCODED = ["s", "b", "d", "t", "tm", "e", "st", "words", "x"]  # categories of every kind, and a leaf without any


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(ROW, max_size=300), binary=st.booleans())
def test_category_encodings_match_fit_category_encoding(duck, rows, binary):
    """DUMMY_ENCODING's dropped column equal, TARGET_ENCODING's means within 1e-12 of the label's magnitude."""
    relation = generated(duck, rows)
    target = "coalesce(b, false)::INT" if binary else "coalesce(x, 1.5)"
    specs = fit_features_sql(duck, relation, ENCODED)
    table = duck.sql(f"SELECT *, {target} AS target FROM ({relation})").to_arrow_table()
    y = table.column("target").to_numpy()
    for method in ("DUMMY_ENCODING", "TARGET_ENCODING", "ONE_HOT_ENCODING"):
        got = fit_category_encoding_sql(duck, relation, specs, method, target, 2 if binary else 0)
        expected = fit_category_encoding(fit_features(table, ENCODED), method, table, y, 2 if binary else 0)
        scale = float(np.abs(y).max(initial=0.0))
        for got_spec, expected_spec in zip(got, expected):
            for got_leaf, expected_leaf in zip(spec_leaves(got_spec), spec_leaves(expected_spec)):
                means, expected_means = got_leaf.pop("target", []), expected_leaf.pop("target", [])
                assert len(means) == len(expected_means)
                for a, b in zip(means, expected_means):
                    assert math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12 * scale), (got_leaf["name"], a, b)
        assert_same(got, expected)


def test_target_encoding_of_many_classes_is_refused_as_fit_category_encoding_refuses_it(duck):
    duck.execute("CREATE TABLE three AS SELECT 'a' AS s, 2 AS y")
    specs = fit_features_sql(duck, "SELECT * FROM three", ["s"])
    with pytest.raises(NotSupportedError, match="3 classes") as refused:
        fit_category_encoding_sql(duck, "SELECT * FROM three", specs, "TARGET_ENCODING", "y", 3)
    with pytest.raises(NotSupportedError) as expected:
        fit_category_encoding(specs, "TARGET_ENCODING", duck.sql("SELECT * FROM three").to_arrow_table(), None, 3)
    assert str(refused.value) == str(expected.value)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=200), st.sampled_from([1, 2, 10, 17]))
def test_buckets_are_numpy_histograms(values, buckets):
    """features.py's buckets (searchsorted on numpy.histogram's edges) are numpy.histogram's counts."""
    counted = np.array(values)
    low, high = float(counted.min()), float(counted.max())
    try:
        expected = np.histogram(counted, buckets, (low, high))[0] if low < high else None
    except ValueError:  # numpy cannot make `buckets` distinct edges over so narrow a range
        expected = None
    counts = _counts({"min": low, "max": high}, counted, buckets)
    assert counts[[0, 1, -1]].tolist() == [0, 0, 0] and counts.sum() == len(values)
    if expected is not None:
        assert counts[2:-1].tolist() == expected.tolist()
    elif low == high:
        assert counts[-2] == len(values)  # one value: in the last bucket, as numpy counts the max


def test_a_constant_column_has_its_value_as_mean_and_std_1(duck):
    """0.1 three times: numpy's mean is 0.10000000000000002, whose deviations gave a std of 1.4e-17."""
    table = pa.table({"x": [0.1, 0.1, 0.1, None]})
    spec = fit_features(table, ["x"])[0]
    assert (spec["mean"], spec["std"], spec["stddev"], spec["median"]) == (0.1, 1.0, 0.0, 0.1)
    duck.register("constant", table)
    assert_same(*both(duck, "SELECT * FROM constant", ["x"]))


def test_a_range_of_one_ulp_is_counted_not_refused(duck):
    """numpy.histogram refuses 10 buckets between 1 and the next double; both put each value in a bucket."""
    duck.execute("CREATE TABLE narrow AS SELECT * FROM (VALUES (1.0::DOUBLE), (1.0000000000000002), (1.0)) t(x)")
    got, expected = both(duck, "SELECT * FROM narrow", ["x"])
    assert_same(got, expected)
    assert sum(expected[0]["distribution"][2:-1]) == 3


def test_the_training_frame_matches(duck):
    duck.register("frame_rows", make_frame(600, 1))
    duck.execute("CREATE TABLE frame AS SELECT * FROM frame_rows")
    assert_same(*both(duck, "SELECT * FROM frame WHERE id % 5 <> 0", ["x1", "x2", "color", "flag", "y_multi"]))


def test_the_most_frequent_categories_are_kept_ties_by_value(duck):
    """More categories than MAX_CATEGORIES, many tied at the cut: the same ones kept, the others counted."""
    n = 3 * MAX_CATEGORIES
    duck.execute(f"CREATE TABLE many AS SELECT 'c' || (range % {MAX_CATEGORIES + 500}) AS c FROM range({n})")
    got, expected = both(duck, "SELECT * FROM many", ["c"])
    assert_same(got, expected)
    assert expected[0]["category_count"] == MAX_CATEGORIES + 500 and expected[0]["distribution"][1] > 0


def test_dates_before_year_1_and_after_9999_are_written_as_pyarrow_writes_them(duck):
    duck.execute(
        "CREATE TABLE dates AS SELECT * FROM (VALUES (DATE '0005-03-01 (BC)'), (DATE '0001-01-01 (BC)'), "
        "(DATE '12345-06-07'), (DATE '2020-01-01'), (NULL)) t(d)"
    )
    got, expected = both(duck, "SELECT * FROM dates", ["d"])
    assert_same(got, expected)
    assert expected[0]["vocabulary"][0] == "-0004-03-01"


def test_columns_pyarrow_reads_its_own_way_fall_back(duck):
    """TIME, TIMESTAMP_NS (pyarrow refuses to drop nanoseconds) and a sparse vector of DECIMAL indices."""
    duck.execute(
        "CREATE TABLE odd AS SELECT TIME '10:00:00' + to_seconds(range) AS tm, "
        "'2020-01-01'::TIMESTAMP_NS + to_seconds(range) AS ns, [{'index': 1.5, 'value': range}] AS sp FROM range(5)"
    )
    for name in ("tm", "ns", "sp"):
        assert_same(*both(duck, "SELECT * FROM odd", [name]), name)
    duck.execute("CREATE TABLE lossy AS SELECT '2020-01-01 00:00:00.000000001'::TIMESTAMP_NS AS ns")
    with pytest.raises(pa.ArrowInvalid):  # pyarrow's error, as fit_features raises it
        fit_features_sql(duck, "SELECT * FROM lossy", ["ns"])


def test_errors_are_fit_features_errors_the_first_column_first(duck):
    duck.execute(
        "CREATE TABLE bad AS SELECT 'x'::BLOB AS blob, 'nan'::DOUBLE AS nan, 1e300 * range AS huge, "
        "{'a': ['x']} AS nested, [1.0, 'inf'::DOUBLE] AS vec FROM range(3)"
    )
    for columns in (["blob"], ["nan"], ["huge"], ["nested"], ["vec"], ["huge", "blob"], ["blob", "nan"]):
        got, expected = both(duck, "SELECT * FROM bad", columns)
        assert isinstance(expected, tuple) and got == expected, columns


def test_no_columns_and_no_rows(duck):
    assert fit_features_sql(duck, "SELECT 1 AS x", []) == []
    assert_same(*both(duck, "SELECT 1.5 AS x, 'a' AS s, [1] AS v WHERE false", ["x", "s", "v"]))


def test_a_million_rows(duck, capsys):
    """1M rows x 10 numeric + 2 string columns: equal; the wall times are reported, not asserted."""
    numbers = ", ".join(
        f"CASE WHEN range % {k + 7} = 0 THEN NULL ELSE random() * {k + 1} END AS x{k}" for k in range(10)
    )
    duck.execute(
        f"CREATE TABLE big AS SELECT {numbers}, 'c' || (hash(range) % 50) AS s1, "
        "'k' || (hash(range + 1) % 5000) AS s2 FROM range(1000000)"
    )
    columns = [f"x{k}" for k in range(10)] + ["s1", "s2"]
    start = time.perf_counter()
    got = fit_features_sql(duck, "SELECT * FROM big", columns)
    sql_seconds = time.perf_counter() - start
    start = time.perf_counter()
    table = duck.sql("SELECT * FROM big").to_arrow_table()
    read_seconds = time.perf_counter() - start
    expected = fit_features(table, columns)
    arrow_seconds = time.perf_counter() - start
    assert_same(got, expected)
    with capsys.disabled():
        print(
            f"\n1M rows x 12 columns: fit_features_sql {sql_seconds:.2f} s; fit_features {arrow_seconds:.2f} s "
            f"({read_seconds:.2f} s of it reading the rows into Arrow, {table.nbytes / 2**20:.0f} MiB)"
        )


def test_names_needing_quotes(duck):
    relation = """SELECT 1.5 AS "a ""b", 'x' AS "S t", {'f g': 1, 'h''i': 'z'} AS "s.t", ['u'] AS "l;" """
    assert_same(*both(duck, relation, ['a "b', "S t", "s.t", "l;"]))

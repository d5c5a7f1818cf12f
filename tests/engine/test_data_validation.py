"""ML.DESCRIBE_DATA against pandas / numpy on the same rows; ML.VALIDATE_DATA_SKEW and ML.VALIDATE_DATA_DRIFT
against Jensen-Shannon divergences (scipy) and L-infinity distances computed here from numpy histograms and
pandas frequencies, on serving data with planted shifts; and their bad inputs."""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scipy.spatial.distance import jensenshannon

import sqlml
from tests.engine.reference import fails

# x1 shifted by 1.5, a third of the colors a new one, half of x2 NULL; flag as it was
SERVING = (
    "CREATE TABLE serving AS SELECT * REPLACE (x1 + 1.5 AS x1, CASE WHEN id % 3 = 0 THEN 'purple' ELSE "
    "color END AS color, CASE WHEN id % 2 = 0 THEN NULL ELSE x2 END AS x2) FROM test"
)
MODEL = (
    "CREATE MODEL m OPTIONS(model_type='linear_reg', input_label_cols=['y_reg'], data_split_method='NO_SPLIT') "
    "AS SELECT x1, x2, color, flag, y_reg FROM train"
)
BOOSTED = (
    "CREATE OR REPLACE MODEL b OPTIONS(model_type='boosted_tree_regressor', input_label_cols=['y_reg'], "
    "data_split_method='NO_SPLIT', max_iterations=2{extra}) AS SELECT x1, color, y_reg FROM train WHERE {where}"
)


def _records(con, sql: str) -> list[dict]:
    cur = con.cursor()
    cur.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def _frame(con, sql: str) -> pd.DataFrame:
    return pd.DataFrame(_records(con, sql))


def _by(con, sql: str, key: str = "input") -> dict:
    return {row[key]: row for row in _records(con, sql)}


def numeric_counts(base: pd.Series, values: pd.Series, buckets: int) -> np.ndarray:
    """Counts of `values` in [NULL, below base min, numpy.histogram's equal-width buckets over base's range,
    above base max]."""
    edges = np.linspace(base.min(), base.max(), buckets + 1)
    present = values.dropna().to_numpy(dtype=float)
    inside = np.histogram(present[(present >= edges[0]) & (present <= edges[-1])], bins=edges)[0]
    return np.array([values.isna().sum(), (present < edges[0]).sum(), *inside, (present > edges[-1]).sum()])


def js(p: np.ndarray, q: np.ndarray) -> float:
    """Jensen-Shannon divergence, base 2 (scipy gives its square root)."""
    return jensenshannon(p, q, base=2) ** 2


def category_frequencies(base: pd.Series, values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Both sides' frequencies over the same categories (NULL one of them)."""
    a, b = (s.astype(object).where(s.notna(), "<NULL>").value_counts(normalize=True) for s in (base, values))
    index = a.index.union(b.index)
    return a.reindex(index, fill_value=0.0), b.reindex(index, fill_value=0.0)


# -- ML.DESCRIBE_DATA -----------------------------------------------------------------------------------------


def test_describe_data_of_scalar_columns_matches_pandas(loaded, frames):
    train = frames[0]
    got = _by(loaded, "SELECT * FROM ML.DESCRIBE_DATA(TABLE train, STRUCT(4 AS num_quantiles, 2 AS top_k))", "name")
    assert list(got) == list(train.columns)
    for name in ("id", "x1", "x2", "y_reg", "y_multi"):
        values, row = train[name].astype(float), got[name]
        present = values.dropna()
        assert (row["num_rows"], row["num_nulls"], row["num_values"]) == (
            len(values),
            values.isna().sum(),
            len(present),
        )
        assert row["num_zeros"] == (present == 0).sum()
        assert (float(row["min"]), float(row["max"])) == (present.min(), present.max())
        assert row["mean"] == pytest.approx(present.mean(), rel=1e-12)
        assert row["stdev"] == pytest.approx(present.std(ddof=1), rel=1e-12)
        assert row["median"] == pytest.approx(present.median(), rel=1e-12)
        np.testing.assert_allclose(row["quantiles"], np.quantile(present, [0, 0.25, 0.5, 0.75, 1]), rtol=1e-12)
        assert row["unique"] is None and row["top_values"] is None and row["avg_string_length"] is None
    for name in ("color", "flag", "y_bin"):
        values, row = train[name], got[name]
        strings = values.dropna().map(lambda v: str(v).lower() if isinstance(v, (bool, np.bool_)) else v)
        assert (row["num_rows"], row["num_nulls"], row["num_values"]) == (
            len(values),
            values.isna().sum(),
            len(strings),
        )
        assert (row["min"], row["max"], row["unique"]) == (strings.min(), strings.max(), strings.nunique())
        assert row["avg_string_length"] == pytest.approx(strings.str.len().mean(), rel=1e-12)
        top = sorted(Counter(strings).items(), key=lambda item: (-item[1], item[0]))[:2]
        assert [(t["value"], t["count"]) for t in row["top_values"]] == top
        assert row["mean"] is None and row["quantiles"] is None and row["num_zeros"] is None
    assert all(r["min_array_length"] is None and r["dimension"] is None for r in got.values())


def test_describe_data_of_arrays_and_structs(con, tmp_path):
    rng = np.random.default_rng(5)
    n = 60
    numbers = [
        None if i % 9 == 0 else rng.integers(-2, 3, size=rng.integers(0, 5)).astype(float).tolist() for i in range(n)
    ]
    words = [
        None if i % 11 == 0 else rng.choice(["a", "bb", "ccc"], size=rng.integers(0, 4)).tolist() for i in range(n)
    ]
    sparse = [
        [{"index": int(j), "value": float(rng.normal())} for j in rng.choice(8, size=2, replace=False)]
        for _ in range(n)
    ]
    table = pa.table(
        {
            "numbers": numbers,
            "words": words,
            "sparse": sparse,
            "pair": [{"p": float(i % 5), "q": f"w{i % 3}"} for i in range(n)],
        }
    )
    pq.write_table(table, tmp_path / "arrays.parquet")
    con.cursor().execute(f"CREATE TABLE arrays AS FROM read_parquet('{tmp_path}/arrays.parquet')")
    got = _by(
        con,
        "SELECT * FROM ML.DESCRIBE_DATA((SELECT * FROM arrays), STRUCT(3 AS num_quantiles, 4 AS "
        "num_array_length_quantiles, 2 AS top_k))",
        "name",
    )
    assert list(got) == ["numbers", "words", "sparse", "pair_p", "pair_q"]
    for name, lists in (("numbers", numbers), ("words", words), ("sparse", [[e["value"] for e in s] for s in sparse])):
        row, present = got[name], [values for values in lists if values is not None]
        lengths = [len(values) for values in present]
        flat = [v for values in present for v in values]
        assert (row["num_rows"], row["num_nulls"], row["num_values"]) == (n, n - len(present), len(flat))
        assert (row["min_array_length"], row["max_array_length"], row["total_array_length"]) == (
            min(lengths),
            max(lengths),
            sum(lengths),
        )
        assert row["avg_array_length"] == pytest.approx(np.mean(lengths))
        assert (
            row["array_length_quantiles"] == np.quantile(lengths, np.linspace(0, 1, 5), method="inverted_cdf").tolist()
        )
        if name == "words":
            top = sorted(Counter(flat).items(), key=lambda item: (-item[1], item[0]))[:2]
            assert [(t["value"], t["count"]) for t in row["top_values"]] == top
            assert row["unique"] == len(set(flat)) and row["avg_string_length"] == pytest.approx(
                np.mean([len(w) for w in flat])
            )
        else:
            flat = np.array(flat)
            assert row["num_zeros"] == (flat == 0).sum() and float(row["min"]) == flat.min()
            assert row["mean"] == pytest.approx(flat.mean()) and row["stdev"] == pytest.approx(flat.std(ddof=1))
            np.testing.assert_allclose(row["quantiles"], np.quantile(flat, np.linspace(0, 1, 4)), rtol=1e-12)
    assert got["sparse"]["dimension"] == max(e["index"] for s in sparse for e in s) + 1
    assert got["numbers"]["dimension"] is None
    assert got["pair_p"]["mean"] == pytest.approx(np.mean([i % 5 for i in range(n)]))
    assert got["pair_q"]["unique"] == 3 and got["pair_q"]["min_array_length"] is None


def test_describe_data_min_and_max_keep_integers_and_decimals_exact(con):
    got = _by(
        con,
        "SELECT * FROM ML.DESCRIBE_DATA((SELECT 9223372036854775807::BIGINT AS big, 2007 AS year, "
        "1.50::DECIMAL(5, 2) AS price UNION ALL SELECT 9223372036854775806, 2009, 12.25))",
        "name",
    )
    assert (got["big"]["min"], got["big"]["max"]) == (str(2**63 - 2), str(2**63 - 1))
    assert (got["year"]["min"], got["year"]["max"]) == ("2007", "2009")
    assert (got["price"]["min"], got["price"]["max"]) == (str(Decimal("1.50")), str(Decimal("12.25")))
    assert got["year"]["mean"] == 2008.0 and got["price"]["quantiles"] == [1.5, 6.875, 12.25]


def test_describe_data_of_fixed_size_arrays_as_lists(con):
    rows = [[1.5, -2.0, 0.0], [4.0, 0.0, 7.25], None]
    got = _by(
        con,
        "SELECT * FROM ML.DESCRIBE_DATA((SELECT a::FLOAT[3] AS a FROM (VALUES ([1.5, -2.0, 0.0]), "
        "([4.0, 0.0, 7.25]), (NULL)) v(a)))",
        "name",
    )["a"]
    flat = np.array([v for r in rows if r is not None for v in r])
    assert (got["num_rows"], got["num_nulls"], got["num_values"], got["num_zeros"]) == (3, 1, 6, 2)
    assert (float(got["min"]), float(got["max"])) == (flat.min(), flat.max())
    assert got["mean"] == pytest.approx(flat.mean()) and got["stdev"] == pytest.approx(flat.std(ddof=1))
    assert (got["min_array_length"], got["max_array_length"], got["total_array_length"]) == (3, 3, 6)


# -- ML.VALIDATE_DATA_SKEW and ML.VALIDATE_DATA_DRIFT ---------------------------------------------------------


def test_skew_against_hand_computed_distances(loaded):
    cur = loaded.cursor()
    cur.execute(SERVING)
    cur.execute(MODEL)
    train, serving = _frame(loaded, "FROM train"), _frame(loaded, "FROM serving")
    got = _by(loaded, "SELECT * FROM ML.VALIDATE_DATA_SKEW(MODEL m, TABLE serving)")
    assert list(got) == ["x1", "x2", "color", "flag"]
    for name in ("x1", "x2"):  # 10 equal-width buckets over the training range; NULLs a bin of their own
        expected = js(numeric_counts(train[name], train[name], 10), numeric_counts(train[name], serving[name], 10))
        assert got[name]["metric"] == "JENSEN_SHANNON_DIVERGENCE"
        assert got[name]["value"] == pytest.approx(expected, rel=1e-9)
    for name in ("color", "flag"):
        a, b = category_frequencies(train[name], serving[name])
        assert got[name]["metric"] == "L_INFTY" and got[name]["value"] == pytest.approx((a - b).abs().max(), rel=1e-9)
    assert {name: (row["threshold"], row["is_anomaly"]) for name, row in got.items()} == {
        "x1": (0.3, True),
        "x2": (0.3, False),
        "color": (0.3, True),
        "flag": (0.3, False),
    }
    assert got["x2"]["value"] > 0.1  # half of x2 is NULL now: a bin of its own


def test_skew_thresholds_and_metric_types(loaded):
    cur = loaded.cursor()
    cur.execute(SERVING)
    cur.execute(MODEL)
    train, serving = _frame(loaded, "FROM train"), _frame(loaded, "FROM serving")
    got = _by(
        loaded,
        "SELECT * FROM ML.VALIDATE_DATA_SKEW(MODEL m, TABLE serving, STRUCT(0.05 AS "
        "numerical_default_threshold, 'jensen_shannon_divergence' AS categorical_metric_type, "
        "[('X1', 0.9), ('flag', 0.0)] AS thresholds))",
    )
    for name in ("color", "flag"):
        a, b = category_frequencies(train[name], serving[name])
        assert got[name]["metric"] == "JENSEN_SHANNON_DIVERGENCE"
        assert got[name]["value"] == pytest.approx(js(a.to_numpy(), b.to_numpy()), rel=1e-9)
    assert {name: row["threshold"] for name, row in got.items()} == {"x1": 0.9, "x2": 0.05, "color": 0.3, "flag": 0.0}
    for row in got.values():
        assert row["is_anomaly"] == (row["value"] > row["threshold"])
    assert not got["x1"]["is_anomaly"] and got["x2"]["is_anomaly"]


def test_skew_compares_the_transform_outputs(loaded):
    cur = loaded.cursor()
    cur.execute(SERVING)
    cur.execute(
        "CREATE MODEL t TRANSFORM(x1 * 2 AS doubled, y_reg) OPTIONS(model_type='linear_reg', "
        "input_label_cols=['y_reg'], data_split_method='NO_SPLIT') AS SELECT x1, y_reg FROM train"
    )
    train, serving = _frame(loaded, "SELECT x1 * 2 AS d FROM train"), _frame(loaded, "SELECT x1 * 2 AS d FROM serving")
    got = _by(loaded, "SELECT * FROM ML.VALIDATE_DATA_SKEW(MODEL t, (SELECT x1 FROM serving))")
    assert list(got) == ["doubled"]
    assert got["doubled"]["value"] == pytest.approx(
        js(numeric_counts(train.d, train.d, 10), numeric_counts(train.d, serving.d, 10)), rel=1e-9
    )


def test_drift_against_hand_computed_distances(loaded):
    loaded.cursor().execute(SERVING)
    base, study = _frame(loaded, "FROM train"), _frame(loaded, "FROM serving WHERE id < 150")
    got = _by(
        loaded,
        "SELECT * FROM ML.VALIDATE_DATA_DRIFT(TABLE train, (SELECT x1, x2, color, flag FROM serving "
        "WHERE id < 150), STRUCT(7 AS num_histogram_buckets, [('color', 0.5)] AS thresholds))",
    )
    assert list(got) == ["x1", "x2", "color", "flag"]  # the columns both inputs have
    for name in ("x1", "x2"):
        expected = js(numeric_counts(base[name], base[name], 7), numeric_counts(base[name], study[name], 7))
        assert got[name]["value"] == pytest.approx(expected, rel=1e-9)
    for name in ("color", "flag"):
        a, b = category_frequencies(base[name], study[name])
        assert got[name]["value"] == pytest.approx((a - b).abs().max(), rel=1e-9)
    assert got["color"]["threshold"] == 0.5 and got["color"]["is_anomaly"] == (got["color"]["value"] > 0.5)
    assert got["x1"]["is_anomaly"] and not got["flag"]["is_anomaly"]


def test_drift_of_identical_data_is_zero_and_of_disjoint_data_is_one(loaded):
    got = _by(
        loaded,
        "SELECT * FROM ML.VALIDATE_DATA_DRIFT((SELECT x1, color FROM train), (SELECT x1 + 100 "
        "AS x1, 'other' AS color FROM train), STRUCT('JENSEN_SHANNON_DIVERGENCE' AS "
        "categorical_metric_type))",
    )
    assert got["x1"]["value"] == pytest.approx(1.0) and got["color"]["value"] == pytest.approx(1.0)
    same = _by(loaded, "SELECT * FROM ML.VALIDATE_DATA_DRIFT(TABLE train, TABLE train)")
    assert all(row["value"] == 0 and not row["is_anomaly"] for row in same.values())


def test_drift_puts_a_value_on_an_inner_edge_in_the_upper_bucket(con):
    cur = con.cursor()
    cur.execute("CREATE TABLE penguins AS FROM read_csv('sql_examples/data/penguins.csv', nullstr = 'NA')")
    base, study = (_frame(con, f"FROM penguins WHERE year = {year}") for year in (2007, 2009))
    got = _by(
        con,
        "SELECT * FROM ML.VALIDATE_DATA_DRIFT((FROM penguins WHERE year = 2007), (FROM penguins WHERE "
        "year = 2009), STRUCT(20 AS num_histogram_buckets))",
    )
    for name in ("bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"):
        expected = js(numeric_counts(base[name], base[name], 20), numeric_counts(base[name], study[name], 20))
        assert got[name]["value"] == pytest.approx(expected, rel=1e-9), name
    # 49.4 is base bill_length_mm's 13th edge (34.1 + 12 * 1.275), which (x - min) // width puts one bucket low
    assert (base.bill_length_mm.min(), base.bill_length_mm.max()) == (34.1, 59.6)
    assert (study.bill_length_mm == 49.4).any()


def test_skew_of_a_warm_started_version_counts_its_own_training_rows(loaded, frames):
    train = frames[0]
    cur = loaded.cursor()
    cur.execute(BOOSTED.format(extra="", where="color = 'red'"))
    cur.execute(BOOSTED.format(extra=", warm_start=TRUE", where="color <> 'red'"))
    first, second = train[train.color == "red"], train[train.color.isin(["green", "blue"])]
    own = _by(loaded, "SELECT * FROM ML.VALIDATE_DATA_SKEW(MODEL b, (FROM train WHERE color <> 'red'))")
    assert {name: row["value"] for name, row in own.items()} == {"x1": 0.0, "color": 0.0}
    # the warm-started version keeps the first one's statistics: its buckets span the first rows' range
    got = _by(loaded, "SELECT * FROM ML.VALIDATE_DATA_SKEW(MODEL b, (FROM train WHERE color = 'red'))")
    assert got["x1"]["value"] == pytest.approx(
        js(numeric_counts(first.x1, second.x1, 10), numeric_counts(first.x1, first.x1, 10)), rel=1e-9
    )
    assert got["color"]["value"] == 1.0  # the second rows' colors are all outside the first rows' vocabulary (red)
    first_version = _by(
        loaded, "SELECT * FROM ML.VALIDATE_DATA_SKEW(MODEL b VERSION 1, (FROM train WHERE color = 'red'))"
    )
    assert {name: row["value"] for name, row in first_version.items()} == {"x1": 0.0, "color": 0.0}


def test_skew_of_a_model_trained_before_distributions_were_kept(loaded):
    cur = loaded.cursor()
    cur.execute(MODEL)
    cur.execute("SELECT features FROM sqlml.model_versions WHERE model_name = 'm'")
    specs = json.loads(cur.fetchone()[0])
    old = [{key: value for key, value in spec.items() if key != "distribution"} for spec in specs]
    cur.execute(
        "UPDATE sqlml.model_versions SET features = ?, artifact_sha256 = NULL WHERE model_name = 'm'", [json.dumps(old)]
    )  # as an sqlml older than checksums stored it
    fails(
        loaded,
        "SELECT * FROM ML.VALIDATE_DATA_SKEW(MODEL m, TABLE test)",
        sqlml.ProgrammingError,
        "ML.VALIDATE_DATA_SKEW",
        "main.m",
        "retrain",
        "CREATE OR REPLACE MODEL",
    )


def test_skew_of_an_imported_onnx_model(loaded, tmp_path):
    cur = loaded.cursor()
    cur.execute(MODEL)
    cur.execute(f"EXPORT MODEL m OPTIONS(uri='{tmp_path}/m.onnx')")
    cur.execute(f"CREATE MODEL imported OPTIONS(model_type='onnx', model_path='{tmp_path}/m.onnx')")
    fails(
        loaded,
        "SELECT * FROM ML.VALIDATE_DATA_SKEW(MODEL imported, TABLE test)",
        sqlml.NotSupportedError,
        "ML.VALIDATE_DATA_SKEW",
        "main.imported",
        "imported ONNX",
    )


SKEW = "SELECT * FROM ML.VALIDATE_DATA_SKEW(MODEL m, TABLE test, STRUCT({}))"
DRIFT = "SELECT * FROM ML.VALIDATE_DATA_DRIFT(TABLE train, TABLE test, STRUCT({}))"
BAD = [
    (
        SKEW.format("'L2' AS categorical_metric_type"),
        sqlml.ProgrammingError,
        ["categorical_metric_type", "'L_INFTY' or 'JENSEN_SHANNON_DIVERGENCE'", "'L2'"],
    ),
    (
        SKEW.format("'L_INFTY' AS numerical_metric_type"),
        sqlml.ProgrammingError,
        ["numerical_metric_type", "JENSEN_SHANNON_DIVERGENCE", "'L_INFTY'"],
    ),
    (
        SKEW.format("-0.1 AS numerical_default_threshold"),
        sqlml.ProgrammingError,
        ["ML.VALIDATE_DATA_SKEW", "numerical_default_threshold", "[0, 1)", "-0.1"],
    ),
    (SKEW.format("[('x1', 1.5)] AS thresholds"), sqlml.ProgrammingError, ["threshold of 'x1'", "[0, 1)", "1.5"]),
    (
        SKEW.format("[('nope', 0.2)] AS thresholds"),
        sqlml.ProgrammingError,
        ["thresholds", "'nope'", "model main.m does not have", "x1, x2, color, flag"],
    ),
    (SKEW.format("['x1'] AS thresholds"), sqlml.ProgrammingError, ["thresholds", "('input', threshold)"]),
    (
        SKEW.format("TRUE AS enable_visualization_link"),
        sqlml.ProgrammingError,
        ["enable_visualization_link", "thresholds"],
    ),
    (
        DRIFT.format("[('y_nope', 0.2)] AS thresholds"),
        sqlml.ProgrammingError,
        ["ML.VALIDATE_DATA_DRIFT", "'y_nope'", "not a column of both inputs"],
    ),
    (DRIFT.format("0 AS num_histogram_buckets"), sqlml.ProgrammingError, ["num_histogram_buckets", "in [1, 1000]"]),
    (
        "SELECT * FROM ML.VALIDATE_DATA_DRIFT(TABLE train)",
        sqlml.ProgrammingError,
        ["ML.VALIDATE_DATA_DRIFT", "needs second input data", "TABLE u | (query)"],
    ),
    (
        "SELECT * FROM ML.VALIDATE_DATA_DRIFT(TABLE train, (SELECT 1 AS nothing_shared))",
        sqlml.ProgrammingError,
        ["no column in common", "nothing_shared"],
    ),
    (
        "SELECT * FROM ML.VALIDATE_DATA_DRIFT((SELECT INTERVAL 1 DAY AS span), (SELECT INTERVAL 2 DAY AS span))",
        sqlml.NotSupportedError,
        ["ML.VALIDATE_DATA_DRIFT", "'span'"],
    ),
    (
        "SELECT * FROM ML.VALIDATE_DATA_SKEW(MODEL m, (SELECT x1, x2, flag FROM test))",
        sqlml.ProgrammingError,
        ["missing", "'color'"],
    ),
    (
        "SELECT * FROM ML.DESCRIBE_DATA(TABLE train, STRUCT(0 AS top_k))",
        sqlml.ProgrammingError,
        ["ML.DESCRIBE_DATA", "top_k", "in [1, 10000]"],
    ),
    (
        "SELECT * FROM ML.DESCRIBE_DATA(TABLE train, STRUCT(100001 AS num_quantiles))",
        sqlml.ProgrammingError,
        ["num_quantiles", "in [1, 100000]"],
    ),
    (
        "SELECT * FROM ML.DESCRIBE_DATA(TABLE train, TABLE test)",
        sqlml.ProgrammingError,
        ["ML.DESCRIBE_DATA takes one input"],
    ),
    (
        "SELECT * FROM ML.DESCRIBE_DATA((SELECT x1, INTERVAL 1 DAY AS span FROM train))",
        sqlml.NotSupportedError,
        ["ML.DESCRIBE_DATA", "'span'", "INTERVAL"],
    ),
    (
        "SELECT * FROM ML.DESCRIBE_DATA(TABLE train, STRUCT(1 AS version))",
        sqlml.ProgrammingError,
        ["ML.DESCRIBE_DATA takes no model version"],
    ),
    (
        "SELECT * FROM ML.VALIDATE_DATA_DRIFT(TABLE train, TABLE test, STRUCT(2 AS version))",
        sqlml.ProgrammingError,
        ["ML.VALIDATE_DATA_DRIFT takes no model version"],
    ),
    (
        "SELECT * FROM ML.DESCRIBE_DATA(STRUCT(1 AS top_k))",
        sqlml.ProgrammingError,
        ["ML.DESCRIBE_DATA needs its data first: TABLE <name> or (<query>)"],
    ),
    (
        "SELECT * FROM ML.VALIDATE_DATA_DRIFT((SELECT 'NaN'::DOUBLE AS x1), TABLE test)",
        sqlml.DataError,
        ["ML.VALIDATE_DATA_DRIFT", "'x1'", "NaN"],
    ),
    (
        "SELECT * FROM ML.VALIDATE_DATA_DRIFT(TABLE train, (SELECT 'NaN'::DOUBLE AS x1))",
        sqlml.DataError,
        ["ML.VALIDATE_DATA_DRIFT", "'x1'", "NaN"],
    ),
    (
        "SELECT * FROM ML.VALIDATE_DATA_SKEW(MODEL m, (SELECT * REPLACE ('inf'::DOUBLE AS x2) FROM test))",
        sqlml.DataError,
        ["ML.VALIDATE_DATA_SKEW", "'x2'", "infinite"],
    ),
]


@pytest.mark.parametrize("sql, error, fragments", BAD, ids=range(len(BAD)))
def test_bad_inputs(loaded, sql, error, fragments):
    loaded.cursor().execute(MODEL)
    fails(loaded, sql, error, *fragments)

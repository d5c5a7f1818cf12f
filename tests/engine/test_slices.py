"""ML.ERROR_SLICES: a slice planted in the data (labels that are noise there) ranks first; each slice's
text selects exactly `size` rows in DuckDB, and its error, effect size and p-value are recomputed from
ML.PREDICT's output with numpy and scipy.stats.ttest_ind (Welch, one-sided)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import sqlml
from tests.engine.reference import fails

COLUMNS = ["slice", "num_features", "size", "error", "overall_error", "effect_size", "p_value"]
# every age from 20 to 79 equally often in 2,400 rows: the quartiles ('higher') are exactly 35, 50 and 65
NORTH_OLD = "region = 'north' AND age >= 65"
SOUTH_MIDDLE = "region = 'south' AND age >= 35 AND age < 50"


def _planted(n: int, seed: int, regression: bool) -> pd.DataFrame:
    """A clear rule everywhere but in one slice, where the label is noise; some x1 NULL for the classifier."""
    rng = np.random.default_rng(seed)
    region = rng.choice(["north", "south", "east", "west"], n)
    age = rng.permutation(np.resize(np.arange(20, 80), n))
    x1, x2 = rng.normal(size=(2, n))
    if regression:
        inside = (region == "south") & (age >= 35) & (age < 50)
        y = 3 * x1 - 2 * x2 + rng.normal(0, 0.3, n) + np.where(inside, rng.normal(0, 10, n), 0)
    else:
        inside = (region == "north") & (age >= 65)
        y = np.where(inside, rng.random(n) < 0.5, x1 + x2 > 0)
    frame = pd.DataFrame({"id": np.arange(n), "region": region, "age": age, "x1": x1, "x2": x2, "y": y})
    if not regression:
        frame.loc[rng.random(n) < 0.1, "x1"] = np.nan
    return frame


@pytest.fixture(params=["classifier", "regressor"])
def planted(request, con, tmp_path):
    """(connection with tables train and test, whether regression, the planted slice)."""
    regression = request.param == "regressor"
    cur = con.cursor()
    for name, seed in (("train", 1), ("test", 2)):
        path = tmp_path / f"{name}.parquet"
        _planted(2400, seed, regression).to_parquet(path)
        cur.execute(f"CREATE TABLE {name} AS SELECT * FROM read_parquet('{path}')")
    return con, regression, SOUTH_MIDDLE if regression else NORTH_OLD


def _slices(con, sql: str) -> list[dict]:
    cur = con.cursor()
    cur.execute(sql)
    assert [d[0] for d in cur.description] == COLUMNS
    return [dict(zip(COLUMNS, row)) for row in cur.fetchall()]


def _ids(con, where: str) -> set[int]:
    cur = con.cursor()
    cur.execute(f"SELECT id FROM test WHERE {where}")
    return {row[0] for row in cur.fetchall()}


def _check(con, model: str, rows: list[dict], label: str, regression: bool, struct: str = "") -> None:
    """Each row against numpy / scipy on ML.PREDICT's output (with `struct`) for the same rows of test."""
    assert rows and [r["effect_size"] for r in rows] == sorted((r["effect_size"] for r in rows), reverse=True)
    cur = con.cursor()
    for row in rows:
        cur.execute(f"SELECT count(*) FROM test WHERE {row['slice']} AND {label} IS NOT NULL")
        assert cur.fetchone()[0] == row["size"]
        assert row["num_features"] == len(set(re.findall(r'"(\w+)"', row["slice"])))
        cur.execute(
            f"SELECT {label}, predicted_{label}, coalesce(({row['slice']}), FALSE) "
            f"FROM ML.PREDICT(MODEL {model}, TABLE test{struct}) WHERE {label} IS NOT NULL"
        )
        y, predicted, inside = map(np.array, zip(*cur.fetchall()))
        inside = inside.astype(bool)
        loss = np.abs(y - predicted) if regression else (y != predicted).astype(float)
        slice_loss, rest = loss[inside], loss[~inside]
        test = stats.ttest_ind(slice_loss, rest, equal_var=False, alternative="greater")
        effect = (slice_loss.mean() - rest.mean()) / np.sqrt((slice_loss.var(ddof=1) + rest.var(ddof=1)) / 2)
        assert row["size"] == inside.sum()
        assert row["error"] == pytest.approx(slice_loss.mean(), rel=1e-9)
        assert row["overall_error"] == pytest.approx(loss.mean(), rel=1e-9)
        assert row["effect_size"] == pytest.approx(effect, rel=1e-6) and effect > 0
        assert row["p_value"] == pytest.approx(test.pvalue, rel=1e-6) and test.pvalue < 0.05


@pytest.mark.parametrize("family", ["linear", "boosted_tree"])
def test_the_planted_slice_ranks_first(planted, family):
    con, regression, truth = planted
    kind = {
        ("linear", False): "logistic_reg",
        ("linear", True): "linear_reg",
        ("boosted_tree", False): "boosted_tree_classifier",
        ("boosted_tree", True): "boosted_tree_regressor",
    }
    con.cursor().execute(
        f"CREATE MODEL m OPTIONS(model_type='{kind[family, regression]}', input_label_cols=['y']) "
        "AS SELECT region, age, x1, x2, y FROM train"
    )
    rows = _slices(con, "SELECT * FROM ML.ERROR_SLICES(MODEL m, TABLE test)")
    assert _ids(con, rows[0]["slice"]) == _ids(con, truth)
    assert len(rows) <= 10
    _check(con, "m", rows, "y", regression)


def test_parameters_shape_the_search(planted):
    con, regression, truth = planted
    con.cursor().execute(
        f"CREATE MODEL m OPTIONS(model_type='{'linear_reg' if regression else 'logistic_reg'}', "
        "input_label_cols=['y']) AS SELECT region, age, x1, x2, y FROM train"
    )
    single = _slices(con, "SELECT * FROM ML.ERROR_SLICES(MODEL m, TABLE test, STRUCT(1 AS max_features))")
    assert {r["num_features"] for r in single} == {1}
    _check(con, "m", single, "y", regression)
    rows = _slices(
        con,
        "SELECT * FROM ML.ERROR_SLICES(MODEL m, TABLE test, STRUCT(3 AS max_features, "
        "0.5 AS alpha, 50 AS min_size, 4 AS max_slices))",
    )
    assert len(rows) == 4 and min(r["size"] for r in rows) >= 50
    _check(con, "m", rows, "y", regression)
    # a min_size above the planted slice's size leaves it out
    min_size = len(_ids(con, truth)) + 1
    large = _slices(
        con, f"SELECT * FROM ML.ERROR_SLICES(MODEL m, TABLE test, STRUCT({min_size} AS min_size, 100 AS max_slices))"
    )
    assert large and min(r["size"] for r in large) >= min_size


def test_transform_model_slices_its_raw_columns(planted):
    con, regression, truth = planted
    con.cursor().execute(
        f"CREATE MODEL t TRANSFORM(ML.STANDARD_SCALER(age) OVER () AS age_scaled, region, x1, x2, y) "
        f"OPTIONS(model_type='{'linear_reg' if regression else 'logistic_reg'}', input_label_cols=['y']) "
        "AS SELECT region, age, x1, x2, y FROM train"
    )
    rows = _slices(con, "SELECT * FROM ML.ERROR_SLICES(MODEL t, (SELECT * FROM test))")
    assert _ids(con, rows[0]["slice"]) == _ids(con, truth)
    _check(con, "t", rows, "y", regression)


WRONG = "color IS NULL OR x2 IS NULL OR (NOT flag AND id % 3 = 0)"


@pytest.mark.filterwarnings("ignore:Precision loss occurred")  # scipy, on slices whose losses are all 1
@pytest.mark.parametrize(
    "label, model_type, wrong, threshold, planted",
    [
        (
            "y_bin",
            "logistic_reg",
            "CASE y_bin WHEN 'yes' THEN 'no' ELSE 'yes' END",
            0.4,
            ["color IS NULL", "x2 IS NULL", "NOT flag"],
        ),
        ("y_reg", "boosted_tree_regressor", "y_reg + 5", None, ["color IS NULL", "x2 IS NULL", "NOT flag"]),
        # a shifted class is not always an error (the model may have been wrong), nor is flag's third significant
        ("y_multi", "logistic_reg", "(y_multi + 1) % 3", None, ["x2 IS NULL"]),
    ],
)
def test_null_and_bool_slices(loaded, label, model_type, wrong, threshold, planted):
    """The shared dataset (NULL numbers and strings, a bool) with wrong labels where color or x2 is NULL and
    in a third of the rows with flag FALSE; some labels NULL."""
    cur = loaded.cursor()
    cur.execute(f"UPDATE test SET {label} = {wrong} WHERE {WRONG}")
    cur.execute(f"UPDATE test SET {label} = NULL WHERE id % 10 = 0")
    cur.execute(
        f"CREATE MODEL s OPTIONS(model_type='{model_type}', input_label_cols=['{label}']) "
        f"AS SELECT x1, x2, color, flag, {label} FROM train"
    )
    extra = "" if threshold is None else f", {threshold} AS threshold"
    rows = _slices(
        loaded,
        "SELECT * FROM ML.ERROR_SLICES(MODEL s, TABLE test, STRUCT(3 AS max_features, "
        f"5 AS min_size, 50 AS max_slices{extra}))",
    )
    found = [_ids(loaded, f"({r['slice']}) AND {label} IS NOT NULL") for r in rows]
    for where in planted:
        assert _ids(loaded, f"{where} AND {label} IS NOT NULL") in found, where
    _check(loaded, "s", rows, label, label == "y_reg", extra and f", STRUCT({threshold} AS threshold)")


def test_no_significant_slice_is_an_empty_result(loaded):
    cur = loaded.cursor()
    cur.execute(
        "CREATE MODEL s OPTIONS(model_type='linear_reg', input_label_cols=['y_reg']) "
        "AS SELECT x1, x2, color, flag, y_reg FROM train"
    )
    assert _slices(loaded, "SELECT * FROM ML.ERROR_SLICES(MODEL s, (SELECT * FROM test LIMIT 40))") == []


BAD = [
    (
        "ML.ERROR_SLICES(MODEL c, (SELECT x1, x2, color, flag FROM test))",
        sqlml.ProgrammingError,
        ["ML.ERROR_SLICES input has no label column 'y_bin'"],
    ),
    ("ML.ERROR_SLICES(MODEL c)", sqlml.ProgrammingError, ["ML.ERROR_SLICES needs input data"]),
    (
        "ML.ERROR_SLICES(MODEL c, TABLE test, STRUCT(0 AS max_features))",
        sqlml.ProgrammingError,
        ["ML.ERROR_SLICES", "max_features", "got 0"],
    ),
    (
        "ML.ERROR_SLICES(MODEL c, TABLE test, STRUCT(4 AS max_features))",
        sqlml.ProgrammingError,
        ["ML.ERROR_SLICES", "max_features", "got 4"],
    ),
    (
        "ML.ERROR_SLICES(MODEL c, TABLE test, STRUCT(0 AS min_size))",
        sqlml.ProgrammingError,
        ["ML.ERROR_SLICES", "min_size", "at least 1"],
    ),
    (
        "ML.ERROR_SLICES(MODEL c, TABLE test, STRUCT(0 AS max_slices))",
        sqlml.ProgrammingError,
        ["ML.ERROR_SLICES", "max_slices", "at least 1"],
    ),
    (
        "ML.ERROR_SLICES(MODEL c, TABLE test, STRUCT(1 AS alpha))",
        sqlml.ProgrammingError,
        ["ML.ERROR_SLICES", "alpha", "in (0, 1)"],
    ),
    (
        "ML.ERROR_SLICES(MODEL c, TABLE test, STRUCT(2 AS max_size))",
        sqlml.ProgrammingError,
        ["ML.ERROR_SLICES has no parameter 'max_size'"],
    ),
    (
        "ML.ERROR_SLICES(MODEL c, TABLE test, STRUCT(1.5 AS threshold))",
        sqlml.ProgrammingError,
        ["threshold must be in [0, 1]"],
    ),
    (
        "ML.ERROR_SLICES(MODEL k, TABLE test)",
        sqlml.NotSupportedError,
        ["ML.ERROR_SLICES takes regression and classification models", "main.k", "kmeans"],
    ),
]


@pytest.mark.parametrize("call, error, fragments", BAD, ids=range(len(BAD)))
def test_bad_error_slices(loaded, call, error, fragments):
    cur = loaded.cursor()
    cur.execute(
        "CREATE MODEL c OPTIONS(model_type='logistic_reg', input_label_cols=['y_bin']) "
        "AS SELECT x1, x2, color, flag, y_bin FROM train"
    )
    cur.execute("CREATE MODEL k OPTIONS(model_type='kmeans', num_clusters=2) AS SELECT x1, x2 FROM train")
    fails(loaded, f"SELECT * FROM {call}", error, *fragments)


def test_float_and_decimal_slices_select_their_rows(con):
    """FLOAT and DECIMAL columns: each slice's text selects exactly the rows its size and error describe (the
    edges are rounded doubles, which a FLOAT or a DECIMAL(38, 20) compares differently)."""
    cur = con.cursor()
    cur.execute("""CREATE TABLE test AS SELECT ((i % 7) * 0.1 + 0.05)::FLOAT AS fl7,
        CASE i % 8 WHEN 0 THEN 0.1 WHEN 1 THEN 0.12349999999999999999 WHEN 2 THEN 0.12350000000000000001
                   ELSE (i % 8) / 10 END::DECIMAL(38, 20) AS d,
        (i * 7919 % 1000) / 1000.0 - 0.5 AS x,
        CASE WHEN i % 7 > 3 OR i % 8 < 2 THEN NOT (x > 0) ELSE x > 0 END AS y FROM range(3000) t(i)""")
    cur.execute(
        "CREATE MODEL m OPTIONS(model_type='logistic_reg', input_label_cols=['y']) AS SELECT fl7, d, x, y FROM test"
    )
    rows = _slices(
        con, "SELECT * FROM ML.ERROR_SLICES(MODEL m, TABLE test, STRUCT(30 AS max_slices, 3 AS max_features))"
    )
    assert {"fl7", "d"} <= {name for r in rows for name in re.findall(r'"(\w+)"', r["slice"])}
    _check(con, "m", rows, "y", False)

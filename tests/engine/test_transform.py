"""TRANSFORM: each preprocessing function against an independent computation on the training split.

The split is CUSTOM on `id % 3 = 0` (evaluation rows), so the training rows are known without sqlml;
statistics must come from them alone. ML.TRANSFORM shows the fitted outputs for the test rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import MaxAbsScaler, MinMaxScaler, RobustScaler

import sqlml
from tests.engine.test_errors import fails

CREATE = ("CREATE OR REPLACE MODEL m TRANSFORM({items}, y_reg) "
          "OPTIONS(model_type='linear_reg', input_label_cols=['y_reg'], data_split_method='CUSTOM', "
          "data_split_col='is_eval') AS SELECT *, id % 3 = 0 AS is_eval FROM train")


def _transformed(con, items: str, column: str = "f") -> list:
    cur = con.cursor()
    cur.execute(CREATE.format(items=items))
    cur.execute(f"SELECT {column} FROM ML.TRANSFORM(MODEL m, (SELECT * FROM test ORDER BY id))")
    return [row[0] for row in cur.fetchall()]


def _training(frames) -> pd.DataFrame:
    train, _ = frames
    return train[train["id"] % 3 != 0]


def _column(frame: pd.DataFrame, name: str) -> np.ndarray:
    return frame[[name]].to_numpy(dtype=float)


SCALERS = {  # item: reference fitted on the training rows' x2 (NaN = NULL, ignored by every scaler)
    "ML.MIN_MAX_SCALER(x2) OVER ()": MinMaxScaler(clip=True),
    "ML.MAX_ABS_SCALER(x2) OVER ()": MaxAbsScaler(),
    "ML.ROBUST_SCALER(x2) OVER ()": RobustScaler(),
    "ML.ROBUST_SCALER(x2, [10, 90], FALSE) OVER ()": RobustScaler(with_centering=False, quantile_range=(10, 90)),
}


@pytest.mark.parametrize("item", list(SCALERS))
def test_scalers_match_scikit_learn(loaded, frames, item):
    reference = SCALERS[item].fit(_column(_training(frames), "x2"))
    expected = reference.transform(_column(frames[1], "x2"))[:, 0]
    got = np.array(_transformed(loaded, f"{item} AS f, x1"), dtype=float)
    np.testing.assert_allclose(got, expected, rtol=1e-12, equal_nan=True)  # NULL in, NULL out


def test_standard_scaler_uses_the_sample_standard_deviation(loaded, frames):
    """As BigQuery ML's documented example: (x - mean) / stddev_samp over the training rows."""
    x = _training(frames)["x2"].dropna()
    expected = (frames[1]["x2"] - x.mean()) / x.std(ddof=1)
    got = np.array(_transformed(loaded, "ML.STANDARD_SCALER(x2) OVER () AS f"), dtype=float)
    np.testing.assert_allclose(got, expected, rtol=1e-12, equal_nan=True)


@pytest.mark.parametrize("strategy, column", [("mean", "x2"), ("median", "x2"), ("most_frequent", "color")])
def test_imputer_matches_scikit_learn(loaded, frames, strategy, column):
    train = _training(frames)[[column]].astype(object).where(lambda f: f.notna(), np.nan)
    reference = SimpleImputer(strategy=strategy, missing_values=np.nan).fit(train)
    expected = reference.transform(frames[1][[column]].astype(object).where(lambda f: f.notna(), np.nan))[:, 0]
    got = _transformed(loaded, f"ML.IMPUTER({column}, '{strategy}') OVER () AS f")
    if column == "x2":
        np.testing.assert_allclose(np.array(got, dtype=float), expected.astype(float), rtol=1e-12)
    else:
        assert got == list(expected)


def test_bucketize_and_quantile_bucketize(loaded, frames):
    x = frames[1]["x2"].to_numpy()

    def bins(points):
        return [None if np.isnan(v) else f"bin_{np.searchsorted(points, v, side='right') + 1}" for v in x]

    assert _transformed(loaded, "ML.BUCKETIZE(x2, [3, 0, 1.5]) AS f") == bins([0, 1.5, 3])
    assert _transformed(loaded, "ML.BUCKETIZE(x2, [3, 0, 1.5], TRUE) AS f") == bins([1.5])
    edges = np.quantile(_training(frames)["x2"].dropna(), [0.25, 0.5, 0.75])  # linear interpolation
    assert _transformed(loaded, "ML.QUANTILE_BUCKETIZE(x2, 4) OVER () AS f") == bins(edges)


def test_label_encoder_follows_the_documented_example(con):
    """BigQuery ML's own example: top 2 categories seen at least twice (ties: the smaller value)."""
    cur = con.cursor()
    cur.execute("CREATE TABLE t AS SELECT f, range AS y FROM (SELECT unnest([NULL, 'a', 'b', 'b', 'c', 'c', 'c', "
                "'d', 'd']) AS f, generate_subscripts([NULL, 'a', 'b', 'b', 'c', 'c', 'c', 'd', 'd'], 1) AS range)")
    cur.execute("CREATE MODEL e TRANSFORM(ML.LABEL_ENCODER(f, 2, 2) OVER () AS code, y) "
                "OPTIONS(model_type='linear_reg', input_label_cols=['y']) AS SELECT * FROM t")
    cur.execute("SELECT f, code FROM ML.TRANSFORM(MODEL e, TABLE t) JOIN t USING (y) ORDER BY y")
    assert cur.fetchall() == [(None, 0), ("a", 0), ("b", 1), ("b", 1), ("c", 2), ("c", 2), ("c", 2), ("d", 0),
                              ("d", 0)]


def test_label_encoder_and_hash_bucketize_on_training_data(loaded, frames):
    counts = _training(frames)["color"].value_counts()
    vocabulary = sorted(counts[counts >= 5].index)
    expected = [0 if pd.isna(v) or v not in vocabulary else vocabulary.index(v) + 1 for v in frames[1]["color"]]
    assert _transformed(loaded, "ML.LABEL_ENCODER(color) OVER () AS f") == expected
    cur = loaded.cursor()
    cur.execute("SELECT hash(CAST(color AS VARCHAR)) % 7 FROM test ORDER BY id")  # DuckDB's hash, directly
    assert _transformed(loaded, "ML.HASH_BUCKETIZE(color, 7) AS f") == [r[0] for r in cur.fetchall()]


def test_scalar_expressions_and_passthrough(loaded):
    """Any DuckDB expression, and `* EXCLUDE (...)` passing columns through, evaluated as DuckDB does."""
    cur = loaded.cursor()
    cur.execute(CREATE.format(items="x1 / nullif(x2, 0) AS f, upper(color) AS c, * EXCLUDE (id, y_reg, is_eval)"))
    cur.execute("SELECT * FROM ML.TRANSFORM(MODEL m, (SELECT * FROM test ORDER BY id))")
    assert [d[0] for d in cur.description] == ["f", "c", "x1", "x2", "color", "flag", "y_bin", "y_multi", "y_reg"]
    got = cur.fetchall()
    cur.execute("SELECT x1 / nullif(x2, 0), upper(color), x1, x2, color, flag, y_bin, y_multi, y_reg "
                "FROM test ORDER BY id")
    assert got == cur.fetchall()


def test_a_row_alone_gets_its_batch_prediction(loaded):
    cur = loaded.cursor()
    cur.execute(CREATE.format(items="ML.STANDARD_SCALER(x1) OVER () AS s, ML.QUANTILE_BUCKETIZE(x2, 5) OVER () AS q, "
                                    "ML.LABEL_ENCODER(color) OVER () AS c, flag"))
    cur.execute("SELECT id, predicted_y_reg FROM ML.PREDICT(MODEL m, TABLE test) ORDER BY id")
    batch = cur.fetchall()
    for row_id, predicted in batch[:10]:
        cur.execute(f"SELECT predicted_y_reg FROM ML.PREDICT(MODEL m, (SELECT * FROM test WHERE id = {row_id}))")
        assert cur.fetchone() == (predicted,)


def test_prediction_needs_only_the_columns_transform_reads(loaded):
    cur = loaded.cursor()
    cur.execute(CREATE.format(items="ML.STANDARD_SCALER(x1 + x2) OVER () AS s"))
    cur.execute("SELECT count(*), count(predicted_y_reg) FROM ML.PREDICT(MODEL m, (SELECT x1, x2 FROM test))")
    assert cur.fetchone() == (200, 200)
    fails(loaded, "SELECT * FROM ML.PREDICT(MODEL m, (SELECT x1 FROM test))", sqlml.ProgrammingError,
          "'x2'", "TRANSFORM reads")


def test_transform_survives_a_new_process_view_of_the_file(tmp_path, frames):
    path = tmp_path / "t.duckdb"
    with sqlml.connect(str(path)) as con:
        cur = con.cursor()
        cur.execute("CREATE TABLE train AS SELECT * FROM (VALUES (1.0, 2.0), (2.0, 4.1), (3.0, 5.9), (4.0, 8.2)) "
                    "t(x, label)")
        cur.execute("CREATE MODEL m TRANSFORM(ML.MIN_MAX_SCALER(x) OVER () AS x, label) "
                    "OPTIONS(model_type='linear_reg') AS SELECT * FROM train")
        cur.execute("SELECT predicted_label FROM ML.PREDICT(MODEL m, (SELECT 2.5 AS x))")
        before = cur.fetchone()
    with sqlml.connect(str(path)) as con:
        cur = con.cursor()
        cur.execute("SELECT predicted_label FROM ML.PREDICT(MODEL m, (SELECT 2.5 AS x))")
        assert cur.fetchone() == before


BAD = [  # (TRANSFORM items, exception, fragments)
    ("ML.STANDARD_SCALER(nope) OVER () AS s", sqlml.ProgrammingError, ["'nope'", "does not have"]),
    ("ML.STANDARD_SCALER(x1) AS s", sqlml.ProgrammingError, ["ML.STANDARD_SCALER", "OVER ()"]),
    ("ML.BUCKETIZE(x1, [1, 2]) OVER () AS s", sqlml.ProgrammingError, ["ML.BUCKETIZE", "scalar", "remove OVER"]),
    ("ML.STANDARD_SCALER(x1) OVER (PARTITION BY color) AS s", sqlml.NotSupportedError, ["empty OVER ()"]),
    ("x1 AS s, x2 AS S", sqlml.ProgrammingError, ["two columns named 'S'"]),
    ("x1 * 2", sqlml.ProgrammingError, ["TRANSFORM item 1", "AS <name>"]),
    ("ML.SQUASH(x1) OVER () AS s", sqlml.ProgrammingError, ["unknown preprocessing function ML.SQUASH",
                                                          "ML.STANDARD_SCALER"]),
    ("ML.TF_IDF(x1) OVER () AS s", sqlml.NotSupportedError, ["ML.TF_IDF", "not supported yet"]),
    ("ML.IMPUTER(x2, 'mode') OVER () AS s", sqlml.ProgrammingError, ["ML.IMPUTER strategy", "'most_frequent'"]),
    ("ML.IMPUTER(x2) OVER () AS s", sqlml.ProgrammingError, ["ML.IMPUTER needs its strategy"]),
    ("ML.QUANTILE_BUCKETIZE(x2, 1) OVER () AS s", sqlml.ProgrammingError, ["num_buckets", ">= 2"]),
    ("ML.BUCKETIZE(x2, x1) AS s", sqlml.ProgrammingError, ["ML.BUCKETIZE", "constants"]),
    ("ML.HASH_BUCKETIZE(color, 0) AS s", sqlml.ProgrammingError, ["hash_bucket_size", ">= 1"]),
    ("ML.ROBUST_SCALER(x2, [80, 20]) OVER () AS s", sqlml.ProgrammingError, ["quantile_range"]),
]


@pytest.mark.parametrize("items, error, fragments", BAD, ids=range(len(BAD)))
def test_bad_transform(loaded, items, error, fragments):
    fails(loaded, CREATE.format(items=items), error, *fragments)


def test_label_must_be_an_output_and_cannot_be_fitted(loaded):
    sql = ("CREATE MODEL m TRANSFORM({items}) OPTIONS(model_type='linear_reg', input_label_cols=['y_reg']) "
           "AS SELECT * FROM train")
    fails(loaded, sql.format(items="x1"), sqlml.ProgrammingError, "must output the label column 'y_reg'")
    fails(loaded, sql.format(items="x1, ML.STANDARD_SCALER(y_reg) OVER () AS y_reg"), sqlml.ProgrammingError,
          "label 'y_reg' cannot use the analytic function")
    fails(loaded, sql.format(items="y_reg"), sqlml.ProgrammingError, "no feature besides the label")


def test_ml_transform_needs_a_transform_model(loaded):
    loaded.cursor().execute("CREATE MODEL plain OPTIONS(model_type='linear_reg', input_label_cols=['y_reg']) "
                            "AS SELECT x1, y_reg FROM train")
    fails(loaded, "SELECT * FROM ML.TRANSFORM(MODEL plain, TABLE test)", sqlml.ProgrammingError,
          "has no TRANSFORM clause")

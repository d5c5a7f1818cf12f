"""TRANSFORM: each preprocessing function against an independent computation on the training split.

The split is CUSTOM on `id % 3 = 0` (evaluation rows), so the training rows are known without sqlml;
statistics must come from them alone. ML.TRANSFORM shows the fitted outputs for the test rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import MaxAbsScaler, MinMaxScaler

import sqlml
from tests.engine.reference import fails

CREATE = (
    "CREATE OR REPLACE MODEL m TRANSFORM({items}, y_reg) "
    "OPTIONS(model_type='linear_reg', input_label_cols=['y_reg'], data_split_method='CUSTOM', "
    "data_split_col='is_eval') AS SELECT *, id % 3 = 0 AS is_eval FROM train"
)


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
}
ROBUST = {  # item: (quantile range, with_median); BigQuery ML's quantiles are data values (numpy's inverted CDF)
    "ML.ROBUST_SCALER(x2) OVER ()": ((25, 75), True),
    "ML.ROBUST_SCALER(x2, [10, 90], FALSE) OVER ()": ((10, 90), False),
}


@pytest.mark.parametrize("item", list(SCALERS))
def test_scalers_match_scikit_learn(loaded, frames, item):
    reference = SCALERS[item].fit(_column(_training(frames), "x2"))
    expected = reference.transform(_column(frames[1], "x2"))[:, 0]
    got = np.array(_transformed(loaded, f"{item} AS f, x1"), dtype=float)
    np.testing.assert_allclose(got, expected, rtol=1e-12, equal_nan=True)  # NULL in, NULL out


@pytest.mark.parametrize("item", list(ROBUST))
def test_robust_scaler_uses_data_quantiles(loaded, frames, item):
    """(x - median) / (q_high - q_low), the quantiles taken as data values as in BigQuery ML's documented example."""
    (low, high), with_median = ROBUST[item]
    x = _training(frames)["x2"].dropna()
    q = np.quantile(x, [0.5, low / 100, high / 100], method="inverted_cdf")
    expected = (frames[1]["x2"] - (q[0] if with_median else 0)) / (q[2] - q[1])
    got = np.array(_transformed(loaded, f"{item} AS f, x1"), dtype=float)
    np.testing.assert_allclose(got, expected, rtol=1e-12, equal_nan=True)


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
    edges = np.quantile(_training(frames)["x2"].dropna(), [0.25, 0.5, 0.75], method="inverted_cdf")  # data values
    assert _transformed(loaded, "ML.QUANTILE_BUCKETIZE(x2, 4) OVER () AS f") == bins(edges)
    ranges = _transformed(loaded, 'ML.QUANTILE_BUCKETIZE(x2, 4, "bucket_ranges") OVER () AS f')  # BigQuery's quotes
    bounds = ["-inf", *map(str, edges), "+inf"]
    assert ranges == [
        None if b is None else f"{'(' if b == 'bin_1' else '['}{bounds[int(b[4:]) - 1]}, {bounds[int(b[4:])]})"
        for b in bins(edges)
    ]


def test_label_encoder_follows_the_documented_example(con):
    """BigQuery ML's own example: top 2 categories seen at least twice (ties: the smaller value)."""
    cur = con.cursor()
    cur.execute(
        "CREATE TABLE t AS SELECT f, range AS y FROM (SELECT unnest([NULL, 'a', 'b', 'b', 'c', 'c', 'c', "
        "'d', 'd']) AS f, generate_subscripts([NULL, 'a', 'b', 'b', 'c', 'c', 'c', 'd', 'd'], 1) AS range)"
    )
    cur.execute(
        "CREATE MODEL e TRANSFORM(ML.LABEL_ENCODER(f, 2, 2) OVER () AS code, y) "
        "OPTIONS(model_type='linear_reg', input_label_cols=['y']) AS SELECT * FROM t"
    )
    cur.execute("SELECT f, code FROM ML.TRANSFORM(MODEL e, TABLE t) JOIN t USING (y) ORDER BY y")
    assert cur.fetchall() == [(None, 0), ("a", 0), ("b", 1), ("b", 1), ("c", 2), ("c", 2), ("c", 2), ("d", 0), ("d", 0)]


def test_label_encoder_and_hash_bucketize_on_training_data(loaded, frames):
    counts = _training(frames)["color"].value_counts()
    vocabulary = sorted(counts[counts >= 5].index)
    expected = [0 if pd.isna(v) or v not in vocabulary else vocabulary.index(v) + 1 for v in frames[1]["color"]]
    assert _transformed(loaded, "ML.LABEL_ENCODER(color) OVER () AS f") == expected
    import farmhash  # BigQuery ML's FARM_FINGERPRINT, read unsigned

    colors = frames[1]["color"]
    assert _transformed(loaded, "ML.HASH_BUCKETIZE(color, 7) AS f") == [
        None if pd.isna(c) else farmhash.Fingerprint64(str(c).encode()) % 7 for c in colors
    ]


def test_scalar_expressions_and_passthrough(loaded):
    """Any DuckDB expression, and `* EXCLUDE (...)` passing columns through, evaluated as DuckDB does."""
    cur = loaded.cursor()
    cur.execute(CREATE.format(items="x1 / nullif(x2, 0) AS f, upper(color) AS c, * EXCLUDE (id, y_reg, is_eval)"))
    cur.execute("SELECT * FROM ML.TRANSFORM(MODEL m, (SELECT * FROM test ORDER BY id))")
    assert [d[0] for d in cur.description] == ["f", "c", "x1", "x2", "color", "flag", "y_bin", "y_multi", "y_reg"]
    got = cur.fetchall()
    cur.execute(
        "SELECT x1 / nullif(x2, 0), upper(color), x1, x2, color, flag, y_bin, y_multi, y_reg FROM test ORDER BY id"
    )
    assert got == cur.fetchall()


def test_a_row_alone_gets_its_batch_prediction(loaded):
    cur = loaded.cursor()
    cur.execute(
        CREATE.format(
            items="ML.STANDARD_SCALER(x1) OVER () AS s, ML.QUANTILE_BUCKETIZE(x2, 5) OVER () AS q, "
            "ML.LABEL_ENCODER(color) OVER () AS c, flag"
        )
    )
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
    fails(
        loaded,
        "SELECT * FROM ML.PREDICT(MODEL m, (SELECT x1 FROM test))",
        sqlml.ProgrammingError,
        "'x2'",
        "TRANSFORM reads",
    )


def test_transform_survives_a_new_process_view_of_the_file(tmp_path, frames):
    path = tmp_path / "t.duckdb"
    with sqlml.connect(str(path)) as con:
        cur = con.cursor()
        cur.execute(
            "CREATE TABLE train AS SELECT * FROM (VALUES (1.0, 2.0), (2.0, 4.1), (3.0, 5.9), (4.0, 8.2)) t(x, label)"
        )
        cur.execute(
            "CREATE MODEL m TRANSFORM(ML.MIN_MAX_SCALER(x) OVER () AS x, label) "
            "OPTIONS(model_type='linear_reg') AS SELECT * FROM train"
        )
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
    (
        "ML.SQUASH(x1) OVER () AS s",
        sqlml.ProgrammingError,
        ["unknown preprocessing function ML.SQUASH", "ML.STANDARD_SCALER"],
    ),
    ("ML.TF_IDF(x1) OVER () AS s", sqlml.ProgrammingError, ["expected an ARRAY", "x1"]),
    ("ML.POLYNOMIAL_EXPAND(x1) AS s", sqlml.ProgrammingError, ["expected a STRUCT"]),
    ("ML.NGRAMS(string_split(color, ' '), [2, 1]) AS s", sqlml.ProgrammingError, ["range", "low <= high"]),
    ("ML.IMPUTER(x2, 'mode') OVER () AS s", sqlml.ProgrammingError, ["ML.IMPUTER strategy", "'most_frequent'"]),
    ("ML.IMPUTER(x2) OVER () AS s", sqlml.ProgrammingError, ["ML.IMPUTER needs its strategy"]),
    ("ML.QUANTILE_BUCKETIZE(x2, 1) OVER () AS s", sqlml.ProgrammingError, ["num_buckets", ">= 2"]),
    ("ML.BUCKETIZE(x2, x1) AS s", sqlml.ProgrammingError, ["ML.BUCKETIZE", "constants"]),
    ("ML.HASH_BUCKETIZE(color, -1) AS s", sqlml.ProgrammingError, ["hash_bucket_size", ">= 0"]),
    ("ML.ROBUST_SCALER(x2, [80, 20]) OVER () AS s", sqlml.ProgrammingError, ["quantile_range"]),
    ("x1 - avg(x1) OVER () AS s", sqlml.ProgrammingError, ["TRANSFORM output 's'", "row from that row alone"]),
    ("x1 * random() AS s", sqlml.ProgrammingError, ["row from that row alone"]),
    ("ML.BUCKETIZE(x1, [1e400, 3]) AS s", sqlml.ProgrammingError, ["split_points", "finite"]),
    ("ML.NORMALIZER([x1, x2], 1" + "0" * 400 + ") AS s", sqlml.ProgrammingError, ["ML.NORMALIZER p", ">= 1"]),
    ("ML.NORMALIZER([x1, x2], 0.5) AS s", sqlml.ProgrammingError, ["ML.NORMALIZER p", ">= 1"]),
    ("ML.IMPUTER([x1], 'most_frequent') OVER () AS s", sqlml.ProgrammingError, ["ML.IMPUTER imputes"]),
]


@pytest.mark.parametrize("items, error, fragments", BAD, ids=range(len(BAD)))
def test_bad_transform(loaded, items, error, fragments):
    fails(loaded, CREATE.format(items=items), error, *fragments)


def test_label_must_be_an_output_and_cannot_be_fitted(loaded):
    sql = (
        "CREATE MODEL m TRANSFORM({items}) OPTIONS(model_type='linear_reg', input_label_cols=['y_reg']) "
        "AS SELECT * FROM train"
    )
    fails(loaded, sql.format(items="x1"), sqlml.ProgrammingError, "must output the label column 'y_reg'")
    fails(
        loaded,
        sql.format(items="x1, ML.STANDARD_SCALER(y_reg) OVER () AS y_reg"),
        sqlml.ProgrammingError,
        "label 'y_reg' cannot use the analytic function",
    )
    fails(loaded, sql.format(items="y_reg"), sqlml.ProgrammingError, "no feature besides the label")


def test_ml_transform_needs_a_transform_model(loaded):
    loaded.cursor().execute(
        "CREATE MODEL plain OPTIONS(model_type='linear_reg', input_label_cols=['y_reg']) AS SELECT x1, y_reg FROM train"
    )
    fails(
        loaded, "SELECT * FROM ML.TRANSFORM(MODEL plain, TABLE test)", sqlml.ProgrammingError, "has no TRANSFORM clause"
    )


DOCS = ["the cat sat on the mat", "the dog sat", "a cat and a dog", "mat mat mat", "the end", "dog eat dog"]


@pytest.fixture
def docs(con):
    cur = con.cursor()
    rows = ", ".join(
        f"({i}, '{d}', {['a', 'b', None, 'a', 'c', 'b'][i]!r}, {float(i)}, {float(5 - i) / 2}, {i % 2})".replace(
            "None", "NULL"
        )
        for i, d in enumerate(DOCS)
    )
    cur.execute(f"CREATE TABLE docs AS SELECT * FROM (VALUES {rows}) t(id, text, cat, x, y, label)")
    return con


def _features(con, items: str) -> list:
    cur = con.cursor()
    cur.execute(
        f"CREATE OR REPLACE MODEL t TRANSFORM({items}, label) OPTIONS(model_type='logistic_reg') AS SELECT * FROM docs"
    )
    cur.execute("SELECT f FROM ML.TRANSFORM(MODEL t, (SELECT * FROM docs ORDER BY id))")
    return [r[0] for r in cur.fetchall()]


def _dense(sparse_rows: list, width: int) -> np.ndarray:
    out = np.zeros((len(sparse_rows), width))
    for i, row in enumerate(sparse_rows):
        for entry in row:
            out[i, entry["index"]] = entry["value"]
    return out


def _document_frequency() -> dict:
    """In how many documents each token appears: BigQuery ML ranks the vocabulary by it."""
    return {w: sum(w in d.split() for d in DOCS) for w in {w for d in DOCS for w in d.split()}}


def _top(k: int) -> list[str]:
    """The k tokens in the most documents (ties: the smaller), sorted."""
    df = _document_frequency()
    return sorted(sorted(df, key=lambda w: (-df[w], w))[:k])


def test_bag_of_words_and_tf_idf(docs):
    """Counts as scikit-learn's CountVectorizer; TF-IDF as BigQuery ML documents it: (count / document size) *
    ln(1 + documents / (1 + documents with the term)),
    https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-tf-idf"""
    from sklearn.feature_extraction.text import CountVectorizer

    vocabulary = sorted({w for d in DOCS for w in d.split()})
    counts = CountVectorizer(vocabulary=vocabulary, tokenizer=str.split, lowercase=False, token_pattern=None)
    got = _dense(_features(docs, "ML.BAG_OF_WORDS(string_split(text, ' '), 100, 1) OVER () AS f"), 1 + len(vocabulary))
    np.testing.assert_array_equal(got[:, 1:], counts.fit_transform(DOCS).toarray())
    df = _document_frequency()
    expected = [
        [d.split().count(w) / len(d.split()) * np.log(1 + len(DOCS) / (1 + df[w])) for w in vocabulary] for d in DOCS
    ]
    got = _dense(_features(docs, "ML.TF_IDF(string_split(text, ' '), 100, 1) OVER () AS f"), 1 + len(vocabulary))
    np.testing.assert_allclose(got[:, 1:], expected, rtol=1e-12)
    # top_k = 3 keeps the three tokens in the most documents (ties: the smaller), the rest go to index 0
    top = _top(3)
    got = _dense(_features(docs, "ML.BAG_OF_WORDS(string_split(text, ' '), 3, 1) OVER () AS f"), 4)
    assert got[:, 0].tolist() == [sum(w not in top for w in d.split()) for d in DOCS]
    assert got[:, 1:].tolist() == [[d.split().count(w) for w in top] for d in DOCS]
    unknown_documents = sum(any(w not in top for w in d.split()) for d in DOCS)
    got = _dense(_features(docs, "ML.TF_IDF(string_split(text, ' '), 3, 1) OVER () AS f"), 4)
    unknown = [sum(w not in top for w in d.split()) / len(d.split()) for d in DOCS]
    np.testing.assert_allclose(got[:, 0], np.array(unknown) * np.log(1 + len(DOCS) / (1 + unknown_documents)))


def test_ngrams_one_and_multi_hot_encoders(docs):
    got = _features(docs, "ML.NGRAMS(string_split(text, ' '), [1, 2], '+') AS f, x")
    words = [d.split() for d in DOCS]  # by start position, then length, as BigQuery ML's documented example
    assert got == [[g for j in range(len(w)) for g in [w[j], "+".join(w[j : j + 2])][: len(w) - j]] for w in words]
    vocabulary = ["a", "b", "c"]
    expected = [[{"index": vocabulary.index(c) + 1 if c else 0, "value": 1.0}] for c in ["a", "b", None, "a", "c", "b"]]
    assert _features(docs, "ML.ONE_HOT_ENCODER(cat, 'none', 10, 1) OVER () AS f") == expected
    dropped = _features(docs, "ML.ONE_HOT_ENCODER(cat, 'most_frequent', 10, 1) OVER () AS f")  # 'a' (tie with b)
    assert [(r[0]["index"], r[0]["value"]) for r in dropped] == [
        (1, 0.0),
        (2, 1.0),
        (0, 1.0),
        (1, 0.0),
        (3, 1.0),
        (2, 1.0),
    ]
    multi = _features(docs, "ML.MULTI_HOT_ENCODER(string_split(text, ' '), 2, 1) OVER () AS f")
    top = _top(2)  # dog and the: in 3 documents each
    indices = [[top.index(w) + 1 if w in top else 0 for w in d.split()] for d in DOCS]
    assert [[e["index"] for e in r] for r in multi] == [list(dict.fromkeys(i)) for i in indices]  # first appearance


def test_normalizer_polynomial_expand_and_feature_cross(docs):
    from sklearn.preprocessing import Normalizer, PolynomialFeatures

    points = np.array([[float(i), (5 - i) / 2] for i in range(len(DOCS))])
    for p, norm in ((2, "l2"), (1, "l1")):
        got = _features(docs, f"ML.NORMALIZER([x, y], {p}) AS f")
        np.testing.assert_allclose(got, Normalizer(norm=norm).fit_transform(points), rtol=1e-12)
    got = _features(docs, "ML.POLYNOMIAL_EXPAND(STRUCT_PACK(x := x, y := y)) AS f")
    assert list(got[0]) == ["x", "y", "x_x", "x_y", "y_y"]
    np.testing.assert_allclose(
        [list(r.values()) for r in got], PolynomialFeatures(2, include_bias=False).fit_transform(points), rtol=1e-12
    )
    got = _features(docs, "ML.FEATURE_CROSS(STRUCT_PACK(c := cat, w := split_part(text, ' ', 1))) AS f")
    assert got == [
        {"c_w": None if c is None else f"{c}_{d.split()[0]}"} for c, d in zip(["a", "b", None, "a", "c", "b"], DOCS)
    ]


def test_a_text_classifier_trains_on_tf_idf_and_predicts(docs):
    cur = docs.cursor()
    cur.execute(
        "CREATE MODEL words TRANSFORM(ML.TF_IDF(string_split(text, ' '), 50, 1) OVER () AS words, "
        "ML.POLYNOMIAL_EXPAND(STRUCT_PACK(x := x)) AS px, label) OPTIONS(model_type='logistic_reg') "
        "AS SELECT * FROM docs"
    )
    cur.execute("SELECT count(predicted_label) FROM ML.PREDICT(MODEL words, (SELECT text, x FROM docs))")
    assert cur.fetchone() == (len(DOCS),)
    cur.execute("DESCRIBE MODEL words")
    assert dict(zip([d[0] for d in cur.description], cur.fetchone()))["features"] == ["words", "px"]


def test_a_list_of_strings_is_multi_hot_encoded(con):
    """A LIST<VARCHAR> feature (e.g. ML.NGRAMS' output) becomes one 0/1 column per element seen at
    training: the model equals LinearRegression on scikit-learn's MultiLabelBinarizer of the same lists."""
    from sklearn.linear_model import LinearRegression
    from sklearn.preprocessing import MultiLabelBinarizer

    rng = np.random.default_rng(5)
    tags = [sorted(set(rng.choice(["red", "big", "old", "new"], size=rng.integers(0, 4)))) for _ in range(80)]
    y = [len(t) + 2.0 * ("red" in t) + rng.normal(0, 0.1) for t in tags]
    cur = con.cursor()
    cur.execute(
        "CREATE TABLE tagged AS SELECT * FROM (VALUES "
        + ", ".join(f"({i}, {[str(x) for x in t]!r}::VARCHAR[], {v!r})" for i, (t, v) in enumerate(zip(tags, y)))
        + ") v(id, tags, label)"
    )
    cur.execute("CREATE MODEL tagged_model OPTIONS(model_type='linear_reg') AS SELECT tags, label FROM tagged")
    cur.execute("SELECT predicted_label FROM ML.PREDICT(MODEL tagged_model, TABLE tagged) ORDER BY id")
    X = MultiLabelBinarizer(classes=["big", "new", "old", "red"]).fit_transform(tags)
    np.testing.assert_allclose([r[0] for r in cur.fetchall()], LinearRegression().fit(X, y).predict(X), atol=1e-9)


def test_star_leaves_out_the_split_column_and_struct_fields_read_their_column(loaded):
    cur = loaded.cursor()
    cur.execute(CREATE.format(items="* EXCLUDE (id, y_reg, y_bin, y_multi)"))
    cur.execute("DESCRIBE MODEL m")
    assert dict(zip([d[0] for d in cur.description], cur.fetchone()))["features"] == ["x1", "x2", "color", "flag"]
    cur.execute(
        "CREATE MODEL st TRANSFORM(s.a * 2 AS a2, y_reg) OPTIONS(model_type='linear_reg', "
        "input_label_cols=['y_reg']) AS SELECT {'a': x1} AS s, y_reg FROM train"
    )
    cur.execute("SELECT a2 FROM ML.TRANSFORM(MODEL st, (SELECT {'a': 1.5} AS s))")
    assert cur.fetchone() == (3.0,)


def test_null_in_null_out(docs):
    cur = docs.cursor()
    cur.execute(
        "CREATE MODEL n TRANSFORM(ML.HASH_BUCKETIZE(cat, 10) AS h, ML.NGRAMS(string_split(cat, ' '), [1, 2]) "
        "AS g, label) OPTIONS(model_type='logistic_reg') AS SELECT * FROM docs"
    )
    cur.execute("SELECT h, g FROM ML.TRANSFORM(MODEL n, (SELECT NULL::VARCHAR AS cat))")
    assert cur.fetchone() == (None, None)

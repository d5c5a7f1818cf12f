"""ML.DETECT_ANOMALIES against scikit-learn's KMeans and PCA fitted directly on the same encoded rows
(tests/engine/reference.py), the scores computed and thresholded in numpy: a row is an anomaly when its score is
above the (1 - contamination) quantile of the training rows' scores. Planted outliers are flagged; bad
calls fail with a named error and change nothing.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics.pairwise import cosine_distances, euclidean_distances
from sklearn.preprocessing import normalize

import sqlml
from sqlml.engine.families.base import ScoreQuantiles
from tests.engine.reference import fails, linear_matrices

FEATURES = "SELECT x1, x2, color, flag FROM train"
INPUT = ["id", "x1", "x2", "color", "flag"]


def _rows(con, sql):
    cur = con.cursor()
    cur.execute(sql)
    return cur.fetchall(), [d[0] for d in cur.description]


def _detect(con, model, table, contamination):
    return _rows(
        con,
        f"SELECT * FROM ML.DETECT_ANOMALIES(MODEL {model}, (SELECT {', '.join(INPUT)} FROM {table}), "
        f"STRUCT({contamination} AS contamination)) ORDER BY id",
    )


@pytest.mark.parametrize(
    "extra, scale, cosine",
    [("", True, False), ("standardize_features=FALSE", False, False), ("distance_type='COSINE'", True, True)],
    ids=["euclidean", "unscaled", "cosine"],
)
def test_kmeans_matches_scikit_learn(loaded, frames, extra, scale, cosine):
    train, test = frames
    loaded.cursor().execute(
        f"CREATE MODEL km OPTIONS(model_type='kmeans', num_clusters=4, early_stop=FALSE, "
        f"max_iterations=30, kmeans_init_method='KMEANS++' {extra and ', ' + extra}) AS {FEATURES}"
    )
    X, X_test = linear_matrices(train, test, scale)
    centers = (
        KMeans(4, init="k-means++", n_init=1, max_iter=30, tol=0, random_state=0)
        .fit(normalize(X) if cosine else X)
        .cluster_centers_
    )
    distance = cosine_distances if cosine else euclidean_distances
    train_distances = distance(X, centers)
    assigned = train_distances.argmin(axis=1)
    radii = np.array([np.sqrt((train_distances[assigned == j, j] ** 2).mean()) for j in range(4)])
    train_scores = (train_distances / radii).min(axis=1)

    for table, X_rows, frame, contamination in (("test", X_test, test, 0.1), ("train", X, train, 0.05)):
        normalized = distance(X_rows, centers) / radii
        score = normalized.min(axis=1)
        rows, columns = _detect(loaded, "km", table, contamination)
        assert columns == ["is_anomaly", "normalized_distance", "centroid_id", *INPUT]
        np.testing.assert_allclose([r[1] for r in rows], score, rtol=1e-9, atol=1e-12)
        assert [r[2] for r in rows] == list(normalized.argmin(axis=1) + 1)
        assert [r[0] for r in rows] == list(score > np.quantile(train_scores, 1 - contamination))
        assert [r[3] for r in rows] == frame["id"].tolist()
    assert sum(r[0] for r in rows) == 30  # 5% of the 600 training rows are above their 95% quantile


@pytest.mark.parametrize(
    "extra, scale, n_components",
    [("num_principal_components=2", True, 2), ("num_principal_components=3, scale_features=FALSE", False, 3)],
)
def test_pca_matches_scikit_learn(loaded, frames, extra, scale, n_components):
    train, test = frames
    loaded.cursor().execute(f"CREATE MODEL p OPTIONS(model_type='pca', {extra}) AS {FEATURES}")
    X, X_test = linear_matrices(train, test, scale)
    reference = PCA(n_components, random_state=0).fit(X)

    def error(rows):
        return ((rows - reference.inverse_transform(reference.transform(rows))) ** 2).mean(axis=1)

    for table, X_rows, contamination in (("test", X_test, 0.2), ("train", X, 0.1)):
        rows, columns = _detect(loaded, "p", table, contamination)
        assert columns == ["is_anomaly", "mean_squared_error", *INPUT]
        np.testing.assert_allclose([r[1] for r in rows], error(X_rows), rtol=1e-9, atol=1e-12)
        assert [r[0] for r in rows] == list(error(X_rows) > np.quantile(error(X), 1 - contamination))
    assert sum(r[0] for r in rows) == 60


def test_training_score_quantiles_match_numpy():
    """Every level exact up to 10,001 rows; beyond, within the quantiles of the nearest levels kept."""
    rng = np.random.default_rng(3)
    levels = [0.5, 0.5 + 1e-9, 0.77777, 0.9, 0.98765, 1.0]
    for n in (1, 2, 7, 600, 10_001):
        scores = rng.exponential(size=n)
        kept = ScoreQuantiles.of(scores)
        np.testing.assert_allclose([kept.quantile(q) for q in levels], np.quantile(scores, levels), rtol=1e-12)
    scores = rng.exponential(size=50_000)
    kept, step = ScoreQuantiles.of(scores), 0.5 / ScoreQuantiles.MAX_LEVELS
    assert len(kept.levels) == ScoreQuantiles.MAX_LEVELS + 1
    for q in levels:
        low, high = np.quantile(scores, [max(q - step, 0.5), min(q + step, 1.0)])
        assert low <= kept.quantile(q) <= high


@pytest.fixture
def planted(con, tmp_path):
    """Table `clean`: 300 rows in three tight groups on the plane z = x + y; table `probe`: 60 more such rows,
    then 3 rows (ids 1000..1002) far from every group and off the plane."""
    rng = np.random.default_rng(7)

    def groups(n):
        center = np.array([[0, 0], [6, 0], [0, 6]])[rng.integers(0, 3, n)]
        xy = center + rng.normal(0, 0.5, (n, 2))
        return pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1], "z": xy.sum(axis=1) + rng.normal(0, 0.05, n)})

    clean, probe = groups(300), groups(60)
    probe["id"] = np.arange(60)
    far = pd.DataFrame(
        {"x": [20.0, -15.0, 3.0], "y": [20.0, 3.0, -15.0], "z": [-10.0, 12.0, 9.0], "id": [1000, 1001, 1002]}
    )
    cur = con.cursor()
    for name, frame in (("clean", clean), ("probe", pd.concat([probe, far]))):
        frame.to_parquet(tmp_path / f"{name}.parquet")
        cur.execute(f"CREATE TABLE {name} AS FROM read_parquet('{tmp_path / name}.parquet')")
    return con


@pytest.mark.parametrize(
    "options, score",
    [
        ("model_type='kmeans', num_clusters=3", "normalized_distance"),
        ("model_type='pca', num_principal_components=2", "mean_squared_error"),
    ],
)
def test_planted_outliers_are_flagged(planted, options, score):
    cur = planted.cursor()
    cur.execute(f"CREATE MODEL m OPTIONS({options}) AS SELECT x, y, z FROM clean")
    rows, columns = _rows(
        planted,
        f"SELECT id, is_anomaly, {score} FROM ML.DETECT_ANOMALIES(MODEL m, TABLE probe, "
        "STRUCT(0.02 AS contamination)) ORDER BY id",
    )
    normal, far = rows[:60], rows[60:]
    assert [r[0] for r in far] == [1000, 1001, 1002] and all(r[1] for r in far)
    assert sum(r[1] for r in normal) <= 5
    assert min(r[2] for r in far) > 3 * max(r[2] for r in normal)
    # contamination 0: the threshold is the highest training score, so no training row is above it
    rows, _ = _rows(
        planted,
        "SELECT count(*) FILTER (is_anomaly) FROM ML.DETECT_ANOMALIES(MODEL m, TABLE clean, "
        "STRUCT(0 AS contamination))",
    )
    assert rows == [(0,)]


def test_each_version_keeps_its_own_training_scores(loaded):
    cur = loaded.cursor()
    call = "SELECT * FROM ML.DETECT_ANOMALIES(MODEL km{}, TABLE test, STRUCT(0.1 AS contamination)) ORDER BY id"
    cur.execute(f"CREATE MODEL km OPTIONS(model_type='kmeans', num_clusters=3) AS {FEATURES}")
    first, _ = _rows(loaded, call.format(""))
    cur.execute(f"CREATE OR REPLACE MODEL km OPTIONS(model_type='kmeans', num_clusters=3) AS {FEATURES} WHERE x1 > 0")
    assert _rows(loaded, call.format(""))[0] != first
    assert _rows(loaded, call.format(" VERSION 1"))[0] == first


def test_transform_outputs_are_features_not_output_columns(loaded):
    cur = loaded.cursor()
    cur.execute(
        "CREATE MODEL plain OPTIONS(model_type='pca', num_principal_components=1) AS "
        "SELECT x1 * 2 AS a, x2 AS b FROM train"
    )
    cur.execute(
        "CREATE MODEL shaped TRANSFORM(x1 * 2 AS a, x2 AS b) OPTIONS(model_type='pca', "
        "num_principal_components=1) AS SELECT x1, x2 FROM train"
    )
    expected, _ = _rows(
        loaded,
        "SELECT is_anomaly, mean_squared_error FROM ML.DETECT_ANOMALIES(MODEL plain, "
        "(SELECT id, x1 * 2 AS a, x2 AS b FROM test), STRUCT(0.1 AS contamination)) ORDER BY id",
    )
    rows, columns = _rows(
        loaded,
        "SELECT * FROM ML.DETECT_ANOMALIES(MODEL shaped, (SELECT id, x1, x2 FROM test), "
        "STRUCT(0.1 AS contamination)) ORDER BY id",
    )
    assert columns == ["is_anomaly", "mean_squared_error", "id", "x1", "x2"]
    assert [r[0] for r in rows] == [r[0] for r in expected]
    np.testing.assert_allclose([r[1] for r in rows], [r[1] for r in expected], rtol=1e-9)


CALL = "SELECT * FROM ML.DETECT_ANOMALIES(MODEL {model}, {input}{struct})"
BAD = [  # (model, input, struct, exception, fragments)
    (
        "km",
        "TABLE test",
        ", STRUCT(0.6 AS contamination)",
        sqlml.ProgrammingError,
        ["ML.DETECT_ANOMALIES", "contamination", "[0, 0.5]", "0.6"],
    ),
    ("p", "TABLE test", ", STRUCT(-0.1 AS contamination)", sqlml.ProgrammingError, ["contamination", "-0.1"]),
    ("km", "TABLE test", ", STRUCT('a' AS contamination)", sqlml.ProgrammingError, ["contamination must be a number"]),
    ("km", "TABLE test", "", sqlml.ProgrammingError, ["ML.DETECT_ANOMALIES needs STRUCT", "contamination"]),
    (
        "km",
        "TABLE test",
        ", STRUCT(0.1 AS contamination, 0.5 AS threshold)",
        sqlml.ProgrammingError,
        ["ML.DETECT_ANOMALIES has no parameter 'threshold'", "contamination"],
    ),
    (
        "reg",
        "TABLE test",
        ", STRUCT(0.1 AS contamination)",
        sqlml.NotSupportedError,
        [
            "ML.DETECT_ANOMALIES takes kmeans, pca, autoencoder and forecasting (ARIMA_PLUS, ARIMA_PLUS_XREG) models",
            "main.reg",
            "linear_reg",
        ],
    ),
    ("km", "", "STRUCT(0.1 AS contamination)", sqlml.ProgrammingError, ["ML.DETECT_ANOMALIES needs input data"]),
    ("km", "(SELECT x1, color, flag FROM test)", ", STRUCT(0.1 AS contamination)", sqlml.ProgrammingError, ["x2"]),
    (
        "km",
        "(SELECT *, 1 AS centroid_id FROM test)",
        ", STRUCT(0.1 AS contamination)",
        sqlml.ProgrammingError,
        ["ML.DETECT_ANOMALIES already has column(s) centroid_id"],
    ),
]


@pytest.mark.parametrize("model, input_, struct, error, fragments", BAD, ids=range(len(BAD)))
def test_bad_calls(loaded, model, input_, struct, error, fragments):
    cur = loaded.cursor()
    cur.execute(f"CREATE MODEL km OPTIONS(model_type='kmeans', num_clusters=3) AS {FEATURES}")
    cur.execute(f"CREATE MODEL p OPTIONS(model_type='pca', num_principal_components=2) AS {FEATURES}")
    cur.execute(
        "CREATE MODEL reg OPTIONS(model_type='linear_reg', input_label_cols=['y_reg']) AS "
        "SELECT x1, x2, y_reg FROM train"
    )
    fails(loaded, CALL.format(model=model, input=input_, struct=struct), error, *fragments)


def test_version_trained_without_training_scores_must_be_retrained(loaded):
    cur = loaded.cursor()
    cur.execute(f"CREATE MODEL km OPTIONS(model_type='kmeans', num_clusters=3) AS {FEATURES}")
    cur.execute("SELECT artifact FROM sqlml.model_versions WHERE model_name = 'km'")
    state = json.loads(cur.fetchone()[0])
    older = {"centroids": state["centroids"], "cosine": state["cosine"]}  # the artifact before this function
    cur.execute(
        "UPDATE sqlml.model_versions SET artifact = encode(?), artifact_sha256 = NULL WHERE model_name = 'km'",
        [json.dumps(older)],
    )  # as an sqlml older than checksums stored it
    fails(
        loaded,
        "SELECT * FROM ML.DETECT_ANOMALIES(MODEL km, TABLE test, STRUCT(0.1 AS contamination))",
        sqlml.ProgrammingError,
        "main.km version 1",
        "retrain",
    )

"""kmeans and pca against scikit-learn's KMeans and PCA fitted directly on the same encoded rows.

The reference matrix comes from scikit-learn's own preprocessing (tests/engine/reference.py); centroids,
distances, projections and ML.EVALUATE's metrics must agree to 1e-9. The SQL-compiled ML.PREDICT must
equal the streaming path, and bad options fail with a named error and change nothing.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import davies_bouldin_score
from sklearn.metrics.pairwise import cosine_distances, euclidean_distances
from sklearn.preprocessing import normalize

import sqlml
from tests.engine.reference import fails, linear_matrices

FEATURES = "SELECT x1, x2, color, flag FROM train"


def _rows(con, sql):
    cur = con.cursor()
    cur.execute(sql)
    return cur.fetchall()


def _metrics(con, sql):
    cur = con.cursor()
    cur.execute(sql)
    return dict(zip([d[0] for d in cur.description], cur.fetchone()))


KMEANS_CASES = {  # id: (extra OPTIONS, scale?, cosine?, reference init)
    "kmeans++": ("kmeans_init_method='KMEANS++'", True, False, "k-means++"),
    "random": ("", True, False, "random"),
    "unscaled": ("standardize_features=FALSE", False, False, "random"),
    "cosine": ("distance_type='COSINE', kmeans_init_method='KMEANS++'", True, True, "k-means++"),
}


@pytest.mark.parametrize("case", list(KMEANS_CASES))
def test_kmeans_matches_scikit_learn(loaded, frames, case):
    extra, scale, cosine, init = KMEANS_CASES[case]
    train, test = frames
    loaded.cursor().execute(
        f"CREATE MODEL km OPTIONS(model_type='kmeans', num_clusters=4, early_stop=FALSE, "
        f"max_iterations=30, {extra or 'seed=0'}) AS {FEATURES}"
    )
    X, X_test = linear_matrices(train, test, scale)
    reference = KMeans(4, init=init, n_init=1, max_iter=30, tol=0, random_state=0)
    reference.fit(normalize(X) if cosine else X)
    distance = cosine_distances if cosine else euclidean_distances
    expected = distance(X_test, reference.cluster_centers_)

    rows = _rows(
        loaded, "SELECT id, centroid_id, nearest_centroids_distance FROM ML.PREDICT(MODEL km, TABLE test) ORDER BY id"
    )
    assert [r[1] for r in rows] == list(expected.argmin(axis=1) + 1)
    for (_, _, nearest), row in zip(rows, expected):
        assert [e["CENTROID_ID"] for e in nearest] == list(np.argsort(row, kind="stable") + 1)
        np.testing.assert_allclose([e["DISTANCE"] for e in nearest], np.sort(row), atol=1e-9)

    got = _metrics(loaded, "SELECT * FROM ML.EVALUATE(MODEL km, TABLE test)")
    labels = expected.argmin(axis=1)
    assert got["davies_bouldin_index"] == pytest.approx(davies_bouldin_score(X_test, labels), rel=1e-9)
    assert got["mean_squared_distance"] == pytest.approx((expected.min(axis=1) ** 2).mean(), rel=1e-9)
    trained = _metrics(loaded, "SELECT * FROM ML.EVALUATE(MODEL km)")  # no input: the training rows
    train_distances = distance(X, reference.cluster_centers_)
    assert trained["mean_squared_distance"] == pytest.approx((train_distances.min(axis=1) ** 2).mean(), rel=1e-9)


def test_kmeans_custom_init_starts_from_the_marked_rows(loaded, frames):
    train, test = frames
    marked = [3, 50, 400]
    loaded.cursor().execute(
        "CREATE MODEL km OPTIONS(model_type='kmeans', num_clusters=3, kmeans_init_method='CUSTOM', "
        "kmeans_init_col='is_seed', max_iterations=1) AS "
        f"SELECT x1, x2, color, flag, id IN {tuple(marked)} AS is_seed FROM train"
    )
    X, X_test = linear_matrices(train, test)
    reference = KMeans(3, init=X[marked], n_init=1, max_iter=1).fit(X)
    rows = _rows(loaded, "SELECT nearest_centroids_distance FROM ML.PREDICT(MODEL km, TABLE test) ORDER BY id")
    expected = euclidean_distances(X_test, reference.cluster_centers_)
    got = np.array([[e["DISTANCE"] for e in sorted(r[0], key=lambda e: e["CENTROID_ID"])] for r in rows])
    np.testing.assert_allclose(got, expected, atol=1e-9)


def test_kmeans_early_stop_ends_on_small_relative_progress(loaded, frames):
    """With min_rel_progress=0.5 the second iteration cannot improve enough: training stops after two
    Lloyd iterations, where 30 without early stopping go further."""
    train, test = frames
    X, X_test = linear_matrices(train, test)
    loaded.cursor().execute(
        f"CREATE MODEL km OPTIONS(model_type='kmeans', num_clusters=4, "
        f"min_rel_progress=0.5, max_iterations=30) AS {FEATURES}"
    )
    two = KMeans(4, init="random", n_init=1, max_iter=2, tol=0, random_state=0).fit(X)
    rows = _rows(loaded, "SELECT nearest_centroids_distance FROM ML.PREDICT(MODEL km, TABLE test) ORDER BY id")
    got = np.array([[e["DISTANCE"] for e in sorted(r[0], key=lambda e: e["CENTROID_ID"])] for r in rows])
    np.testing.assert_allclose(got, euclidean_distances(X_test, two.cluster_centers_), atol=1e-9)


@pytest.mark.parametrize(
    "extra, scale",
    [
        ("num_principal_components=2", True),
        ("pca_explained_variance_ratio=0.8", True),
        ("num_principal_components=3, scale_features=FALSE", False),
    ],
)
def test_pca_matches_scikit_learn(loaded, frames, extra, scale):
    train, test = frames
    loaded.cursor().execute(f"CREATE MODEL p OPTIONS(model_type='pca', {extra}) AS {FEATURES}")
    X, X_test = linear_matrices(train, test, scale)
    n_components = float(extra.split("=")[1]) if "ratio" in extra else int(extra.split("=")[1].split(",")[0])
    reference = PCA(n_components, random_state=0).fit(X)
    expected = reference.transform(X_test)
    names = [f"principal_component_{i + 1}" for i in range(reference.n_components_)]
    rows = _rows(loaded, f"SELECT {', '.join(names)} FROM ML.PREDICT(MODEL p, TABLE test) ORDER BY id")
    np.testing.assert_allclose(np.array(rows), expected, atol=1e-9)
    assert _rows(loaded, "SELECT * FROM ML.PREDICT(MODEL p, TABLE test) LIMIT 0") == []
    got = _metrics(loaded, "SELECT * FROM ML.EVALUATE(MODEL p)")
    assert got == {"total_explained_variance_ratio": pytest.approx(reference.explained_variance_ratio_.sum(), rel=1e-9)}
    on_test = _metrics(loaded, "SELECT * FROM ML.EVALUATE(MODEL p, TABLE test)")
    centered = X_test - X_test.mean(axis=0)
    kept = (reference.transform(X_test) - expected.mean(axis=0)).var(axis=0).sum() / centered.var(axis=0).sum()
    assert on_test["total_explained_variance_ratio"] == pytest.approx(kept, rel=1e-9)


# A nested ML function in the input makes ML.PREDICT stream through Python: the reference path here.
STREAMED = "(SELECT * EXCLUDE (predicted_y_reg) FROM ML.PREDICT(MODEL anchor, TABLE test))"


@pytest.mark.parametrize(
    "options",
    [
        "model_type='kmeans', num_clusters=7",
        "model_type='kmeans', num_clusters=3, distance_type='COSINE'",
        "model_type='pca', num_principal_components=3",
    ],
)
def test_compiled_sql_equals_the_streaming_path(loaded, options):
    cur = loaded.cursor()
    cur.execute(
        "CREATE MODEL anchor OPTIONS(model_type='linear_reg', input_label_cols=['y_reg']) "
        "AS SELECT x1, y_reg FROM train"
    )
    cur.execute(f"CREATE MODEL m OPTIONS({options}) AS {FEATURES}")
    cur.execute("SELECT * FROM ML.PREDICT(MODEL m, TABLE test) ORDER BY id")
    compiled_cols, compiled = [d[0] for d in cur.description], cur.fetchall()
    assert cur._cursor._views == []  # DuckDB scored it: no Arrow relation was registered
    cur.execute(f"SELECT * FROM ML.PREDICT(MODEL m, {STREAMED}) ORDER BY id")
    assert cur._cursor._views  # the reference went through Python
    assert [d[0] for d in cur.description] == compiled_cols
    for a, b in zip(compiled, cur.fetchall()):
        if "kmeans" in options:  # CENTROID_ID, NEAREST_CENTROIDS_DISTANCE, then the input
            assert (a[0], a[2:]) == (b[0], b[2:])
            assert [e["CENTROID_ID"] for e in a[1]] == [e["CENTROID_ID"] for e in b[1]]
            np.testing.assert_allclose([e["DISTANCE"] for e in a[1]], [e["DISTANCE"] for e in b[1]], atol=1e-12)
        else:  # principal_component_1 .. 3, then the input
            np.testing.assert_allclose(a[:3], b[:3], atol=1e-12)
            assert a[3:] == b[3:]


def test_cosine_distance_of_a_mean_imputed_row_is_one(loaded):
    """A row of NULL numbers is the standardized zero vector: cosine distance 1 to every centroid (the
    documented rule) in the compiled SQL as in the streaming path."""
    cur = loaded.cursor()
    cur.execute(
        "CREATE MODEL c OPTIONS(model_type='kmeans', num_clusters=3, distance_type='COSINE') "
        "AS SELECT x1, x2 FROM train"
    )
    cur.execute("CREATE TABLE empty_row AS SELECT NULL::DOUBLE AS x1, NULL::DOUBLE AS x2")
    cur.execute("SELECT nearest_centroids_distance FROM ML.PREDICT(MODEL c, TABLE empty_row)")
    assert [e["DISTANCE"] for e in cur.fetchone()[0]] == [1.0, 1.0, 1.0]


KMEANS = "CREATE MODEL u OPTIONS(model_type='kmeans'{extra}) AS {query}"
BAD = [  # (sql, exception, fragments)
    (KMEANS.format(extra=", num_clusters=1", query=FEATURES), sqlml.ProgrammingError, ["num_clusters", ">= 2"]),
    (KMEANS.format(extra=", num_clusters=700", query=FEATURES), sqlml.ProgrammingError, ["num_clusters", "<= 100"]),
    (
        KMEANS.format(extra=", num_clusters=50", query=FEATURES + " LIMIT 20"),
        sqlml.DataError,
        ["num_clusters=50", "20"],
    ),
    (
        KMEANS.format(extra=", input_label_cols=['x1']", query=FEATURES),
        sqlml.ProgrammingError,
        ["input_label_cols", "kmeans", "num_clusters"],
    ),
    (KMEANS.format(extra=", kmeans_init_method='CUSTOM'", query=FEATURES), sqlml.ProgrammingError, ["kmeans_init_col"]),
    (
        KMEANS.format(extra=", kmeans_init_method='CUSTOM', kmeans_init_col='nope'", query=FEATURES),
        sqlml.ProgrammingError,
        ["kmeans_init_col", "nope"],
    ),
    (
        KMEANS.format(extra=", kmeans_init_method='CUSTOM', kmeans_init_col='x1'", query=FEATURES),
        sqlml.ProgrammingError,
        ["kmeans_init_col", "BOOL"],
    ),
    (
        KMEANS.format(extra=", num_clusters=3, kmeans_init_method='CUSTOM', kmeans_init_col='flag'", query=FEATURES),
        sqlml.DataError,
        ["flag", "exactly num_clusters (3)"],
    ),
    (
        KMEANS.format(extra=", distance_type='MANHATTAN'", query=FEATURES),
        sqlml.ProgrammingError,
        ["distance_type", "EUCLIDEAN, COSINE"],
    ),
    (
        "CREATE MODEL u OPTIONS(model_type='pca') AS " + FEATURES,
        sqlml.ProgrammingError,
        ["num_principal_components", "pca_explained_variance_ratio"],
    ),
    (
        "CREATE MODEL u OPTIONS(model_type='pca', num_principal_components=2, pca_explained_variance_ratio=0.5) AS "
        + FEATURES,
        sqlml.ProgrammingError,
        ["exactly one"],
    ),
    (
        "CREATE MODEL u OPTIONS(model_type='pca', num_principal_components=40) AS " + FEATURES,
        sqlml.DataError,
        ["num_principal_components=40", "8"],
    ),
    (
        "CREATE MODEL u OPTIONS(model_type='pca', pca_explained_variance_ratio=1.5) AS " + FEATURES,
        sqlml.ProgrammingError,
        ["pca_explained_variance_ratio", "<= 1"],
    ),
    (
        "CREATE MODEL u OPTIONS(model_type='pca', pca_explained_variance_ratio=0.5, pca_solver='RANDOMIZED') AS "
        + FEATURES,
        sqlml.ProgrammingError,
        ["RANDOMIZED"],
    ),
    (
        "SELECT * FROM ML.PREDICT(MODEL good, TABLE test, STRUCT(0.5 AS threshold))",
        sqlml.ProgrammingError,
        ["threshold", "kmeans"],
    ),
    ("SELECT * FROM ML.PREDICT(MODEL good, (SELECT x1, x2 FROM test))", sqlml.ProgrammingError, ["color", "flag"]),
    (
        "SELECT * FROM ML.PREDICT(MODEL good, (SELECT x1, x2, color, flag, 1 AS centroid_id FROM test))",
        sqlml.ProgrammingError,
        ["centroid_id"],
    ),
]


@pytest.mark.parametrize("sql, error, fragments", BAD, ids=range(len(BAD)))
def test_bad_unsupervised_statements(loaded, sql, error, fragments):
    loaded.cursor().execute(KMEANS.format(extra=", num_clusters=3", query=FEATURES).replace(" u ", " good "))
    fails(loaded, sql, error, *fragments)


@pytest.mark.parametrize(
    "source",
    ["(SELECT * FROM test WHERE false)", f"(SELECT * FROM {STREAMED} WHERE false)"],
    ids=["compiled", "streamed"],
)
def test_zero_input_rows_give_zero_rows_with_the_full_schema(loaded, source):
    cur = loaded.cursor()
    cur.execute(
        "CREATE MODEL anchor OPTIONS(model_type='linear_reg', input_label_cols=['y_reg']) "
        "AS SELECT x1, y_reg FROM train"
    )
    cur.execute(f"CREATE MODEL km OPTIONS(model_type='kmeans', num_clusters=3) AS {FEATURES}")
    cur.execute(f"SELECT * FROM ML.PREDICT(MODEL km, {source})")
    assert cur.fetchall() == []
    assert [(d[0], str(d[1])) for d in cur.description][:2] == [
        ("CENTROID_ID", "BIGINT"),
        ("NEAREST_CENTROIDS_DISTANCE", 'STRUCT(CENTROID_ID BIGINT, "DISTANCE" DOUBLE)[]'),
    ]


@pytest.mark.parametrize("standardize", [False, True])
def test_centroids_in_feature_units_match_scikit_learn(loaded, frames, standardize):
    """ML.CENTROIDS: numeric centroids in the feature's own units (or standardized), categorical ones as
    the weight of each category, NULL included; against KMeans on scikit-learn-encoded rows."""
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import StandardScaler

    train, test = frames
    cur = loaded.cursor()
    cur.execute(
        f"CREATE MODEL km OPTIONS(model_type='kmeans', num_clusters=3, early_stop=FALSE, max_iterations=30, "
        f"kmeans_init_method='KMEANS++') AS {FEATURES}"
    )
    X, _ = linear_matrices(train, test)
    centers = KMeans(3, init="k-means++", n_init=1, max_iter=30, tol=0, random_state=0).fit(X).cluster_centers_
    scaler = StandardScaler().fit(SimpleImputer().fit_transform(train[["x1", "x2"]]))
    numeric = centers[:, :2] if standardize else centers[:, :2] * scaler.scale_ + scaler.mean_
    cur.execute(
        f"SELECT centroid_id, feature, numerical_value, categorical_value FROM ML.CENTROIDS(MODEL km, "
        f"STRUCT({str(standardize).upper()} AS standardize)) ORDER BY centroid_id, feature"
    )
    rows = cur.fetchall()
    for centroid_id, feature, value, categories in rows:
        if feature in ("x1", "x2"):
            assert value == pytest.approx(numeric[centroid_id - 1, ["x1", "x2"].index(feature)], rel=1e-9)
        elif feature == "color":  # blue, green, red, then the NULL category (the reference's column order)
            assert [c["category"] for c in categories] == ["blue", "green", "red", None]
            np.testing.assert_allclose([c["value"] for c in categories], centers[centroid_id - 1, 2:6], atol=1e-9)
    assert len(rows) == 3 * 4
    fails(loaded, "SELECT * FROM ML.CENTROIDS(MODEL anchor_missing)", sqlml.ProgrammingError, "does not exist")
    cur.execute(
        "CREATE MODEL lin OPTIONS(model_type='linear_reg', input_label_cols=['y_reg']) AS SELECT x1, y_reg FROM train"
    )
    fails(loaded, "SELECT * FROM ML.CENTROIDS(MODEL lin)", sqlml.NotSupportedError, "takes kmeans models", "linear_reg")


def test_principal_components_and_their_info_match_scikit_learn(loaded, frames):
    """Loadings per encoded input (numbers, then one value per category with NULL last) and eigenvalues,
    explained variance ratios and their running sum, against PCA fitted on the reference matrix."""
    train, test = frames
    loaded.cursor().execute(f"CREATE MODEL p OPTIONS(model_type='pca', num_principal_components=3) AS {FEATURES}")
    X, _ = linear_matrices(train, test)
    reference = PCA(3, random_state=0).fit(X)
    rows = _rows(loaded, "SELECT * FROM ML.PRINCIPAL_COMPONENTS(MODEL p) ORDER BY principal_component_id")
    for component in range(3):
        mine = [r for r in rows if r[0] == component]  # numbered from 0, as BigQuery ML
        assert [r[1] for r in mine] == ["x1", "x2", "color", "flag"]
        flat = [mine[0][2], mine[1][2]] + [e["value"] for r in mine[2:] for e in r[3]]
        np.testing.assert_allclose(flat, reference.components_[component], atol=1e-9)
        assert [e["category"] for e in mine[2][3]] == ["blue", "green", "red", None]
    info = _rows(loaded, "SELECT * FROM ML.PRINCIPAL_COMPONENT_INFO(MODEL p)")
    assert [r[0] for r in info] == [0, 1, 2]  # numbered from 0, as BigQuery ML
    np.testing.assert_allclose([r[1] for r in info], reference.explained_variance_, rtol=1e-9)
    np.testing.assert_allclose([r[2] for r in info], reference.explained_variance_ratio_, rtol=1e-9)
    np.testing.assert_allclose([r[3] for r in info], np.cumsum(reference.explained_variance_ratio_), rtol=1e-9)


@pytest.mark.parametrize("function", ["PRINCIPAL_COMPONENTS", "PRINCIPAL_COMPONENT_INFO"])
def test_principal_component_functions_take_a_pca_model_only(loaded, function):
    cur = loaded.cursor()
    cur.execute(f"CREATE MODEL p OPTIONS(model_type='pca', num_principal_components=2) AS {FEATURES}")
    cur.execute("CREATE MODEL km OPTIONS(model_type='kmeans', num_clusters=2) AS SELECT x1 FROM train")
    fails(loaded, f"SELECT * FROM ML.{function}(MODEL km)", sqlml.NotSupportedError, "takes pca models", "kmeans")
    fails(loaded, f"SELECT * FROM ML.{function}(MODEL p, TABLE test)", sqlml.ProgrammingError, "takes a model only")

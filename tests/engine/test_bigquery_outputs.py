"""Every ML function's output columns, per model type, against the list on its BigQuery ML reference page
(the URL each case cites), with BigQuery ML's numbering conventions; the values this issue moved are
checked against scikit-learn or against the prediction they restate.

Where a page's Output section could not be read, the columns come from BigQuery DataFrames' system tests,
which run on BigQuery itself (https://github.com/googleapis/python-bigquery-dataframes,
tests/system/*/ml/*.py), cited too.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import mean_squared_error

import sqlml
from tests.engine.reference import fails, linear_matrices

FEATURES = "SELECT x1, x2, color, flag FROM train"
INPUT = ["id", "x1", "x2", "color", "flag"]  # the input the prediction functions are given, in this order
SPLIT = "data_split_method='CUSTOM', data_split_col='is_eval'"
EXPLAINED = "enable_global_explain=TRUE"  # ML.GLOBAL_EXPLAIN needs it, as in BigQuery ML
MODELS = {
    "lin": f"model_type='linear_reg', input_label_cols=['y_reg'], {EXPLAINED}",
    "bin": f"model_type='logistic_reg', input_label_cols=['y_bin'], {EXPLAINED}",
    "multi": f"model_type='logistic_reg', input_label_cols=['y_multi'], {EXPLAINED}",
    "tree": f"model_type='boosted_tree_classifier', input_label_cols=['y_bin'], max_iterations=5, {EXPLAINED}",
}


def _columns(con, sql: str) -> list[str]:
    cur = con.cursor()
    cur.execute(sql)
    return [d[0] for d in cur.description]


def _rows(con, sql: str) -> list[dict]:
    cur = con.cursor()
    cur.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def _create(con, *names: str) -> None:
    for name in names:
        label = MODELS[name].split("'")[-2]
        con.cursor().execute(
            f"CREATE MODEL {name} OPTIONS({MODELS[name]}) AS SELECT x1, x2, color, flag, {label} FROM train"
        )


def test_predict_puts_its_columns_before_the_input(loaded):
    """https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-predict: predicted_<label> (and
    predicted_<label>_probs for classifiers); k-means CENTROID_ID and NEAREST_CENTROIDS_DISTANCE (BigQuery DataFrames
    reads CENTROID_ID, tests/system/small/ml/test_cluster.py); pca principal_component_1.. (tests/system/large/ml/
    test_decomposition.py). The compiled (linear, k-means) and streamed (boosted tree) paths agree."""
    _create(loaded, "lin", "bin", "tree")
    cur = loaded.cursor()
    cur.execute(f"CREATE MODEL km OPTIONS(model_type='kmeans', num_clusters=3) AS {FEATURES}")
    cur.execute(f"CREATE MODEL p OPTIONS(model_type='pca', num_principal_components=2) AS {FEATURES}")
    data = "(SELECT id, x1, x2, color, flag FROM test)"
    expected = {
        "lin": ["predicted_y_reg"],
        "bin": ["predicted_y_bin", "predicted_y_bin_probs"],
        "tree": ["predicted_y_bin", "predicted_y_bin_probs"],
        "km": ["CENTROID_ID", "NEAREST_CENTROIDS_DISTANCE"],
        "p": ["principal_component_1", "principal_component_2"],
    }
    for model, columns in expected.items():
        passed = ["id"] if model == "p" else INPUT  # pca: its feature columns only with keep_original_columns
        assert _columns(loaded, f"SELECT * FROM ML.PREDICT(MODEL {model}, {data})") == columns + passed, model
    cur.execute(f"SELECT typeof(NEAREST_CENTROIDS_DISTANCE) FROM ML.PREDICT(MODEL km, {data}) LIMIT 1")
    assert cur.fetchone() == ('STRUCT(CENTROID_ID BIGINT, "DISTANCE" DOUBLE)[]',)


def test_explain_predict_gives_the_probability_of_the_predicted_class(loaded):
    """https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-explain-predict (and BigQuery
    DataFrames' tests/system/small/ml/test_linear_model.py, test_logistic_model_predict_explain_params): classifiers
    give `probability`, not predicted_<label>_probs; it is the predicted class's entry of ML.PREDICT's probabilities."""
    _create(loaded, "lin", "bin", "multi", "tree")
    why = ["top_feature_attributions", "baseline_prediction_value", "prediction_value", "approximation_error"]
    data = "(SELECT id, x1, x2, color, flag FROM test)"
    assert _columns(loaded, f"SELECT * FROM ML.EXPLAIN_PREDICT(MODEL lin, {data})") == ["predicted_y_reg"] + why + INPUT
    for model, label in (("bin", "y_bin"), ("multi", "y_multi"), ("tree", "y_bin")):
        explained = f"SELECT * FROM ML.EXPLAIN_PREDICT(MODEL {model}, {data}) ORDER BY id"
        assert _columns(loaded, explained) == [f"predicted_{label}", "probability"] + why + INPUT
        predicted = _rows(loaded, f"SELECT * FROM ML.PREDICT(MODEL {model}, {data}) ORDER BY id")
        for row, prediction in zip(_rows(loaded, explained), predicted):
            probs = {e["label"]: e["prob"] for e in prediction[f"predicted_{label}_probs"]}
            assert row[f"predicted_{label}"] == prediction[f"predicted_{label}"]
            assert row["probability"] == pytest.approx(probs[row[f"predicted_{label}"]], rel=1e-12)
            assert row["probability"] == pytest.approx(max(probs.values()), rel=1e-12)  # threshold 0.5


def test_evaluate_columns_per_task(loaded):
    """https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-evaluate. A binary classifier's
    row has no threshold column: BigQuery DataFrames compares a binary logistic model's ML.EVALUATE with exactly
    these six columns (tests/system/large/ml/ test_linear_model.py,
    test_logistic_regression_configure_fit_with_eval_score); k-means and pca as its
    tests/system/large/ml/test_cluster.py and test_decomposition.py."""
    _create(loaded, "lin", "bin", "multi")
    cur = loaded.cursor()
    cur.execute(f"CREATE MODEL km OPTIONS(model_type='kmeans', num_clusters=3) AS {FEATURES}")
    cur.execute(f"CREATE MODEL p OPTIONS(model_type='pca', num_principal_components=2) AS {FEATURES}")
    classification = ["precision", "recall", "accuracy", "f1_score", "log_loss", "roc_auc"]
    expected = {
        "lin": [
            "mean_absolute_error",
            "mean_squared_error",
            "mean_squared_log_error",
            "median_absolute_error",
            "r2_score",
            "explained_variance",
        ],
        "bin": classification,
        "multi": classification,
        "km": ["davies_bouldin_index", "mean_squared_distance"],
        "p": ["total_explained_variance_ratio"],
    }
    for model, columns in expected.items():
        assert _columns(loaded, f"SELECT * FROM ML.EVALUATE(MODEL {model})") == columns, model
    assert _columns(loaded, "SELECT * FROM ML.EVALUATE(MODEL bin, TABLE test, STRUCT(0.7 AS threshold))") == (
        classification
    )


def test_classifier_and_tree_function_columns(loaded):
    """https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-confusion (expected_label, then
    one column per label; ML.ROC_CURVE's columns are checked in test_classification.py),
    https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-importance,
    https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-global-explain,
    https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-weights,
    https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-feature."""
    _create(loaded, "lin", "bin", "multi", "tree")
    assert _columns(loaded, "SELECT * FROM ML.CONFUSION_MATRIX(MODEL multi)") == ["expected_label", "_0", "_1", "_2"]
    assert _columns(loaded, "SELECT * FROM ML.CONFUSION_MATRIX(MODEL bin)") == ["expected_label", "no", "yes"]
    assert _columns(loaded, "SELECT * FROM ML.FEATURE_IMPORTANCE(MODEL tree)") == [
        "feature",
        "importance_weight",
        "importance_gain",
        "importance_cover",
    ]
    assert _columns(loaded, "SELECT * FROM ML.GLOBAL_EXPLAIN(MODEL tree)") == ["feature", "attribution"]
    assert _columns(loaded, "SELECT * FROM ML.GLOBAL_EXPLAIN(MODEL multi, STRUCT(TRUE AS class_level_explain))") == [
        "class_label",
        "feature",
        "attribution",
    ]
    assert _columns(loaded, "SELECT * FROM ML.WEIGHTS(MODEL lin)") == ["processed_input", "weight", "category_weights"]
    assert _columns(loaded, "SELECT * FROM ML.FEATURE_INFO(MODEL bin)") == [
        "input",
        "min",
        "max",
        "mean",
        "median",
        "stddev",
        "category_count",
        "null_count",
        "dimension",
    ]


def test_trial_info_columns_numbering_and_losses(loaded, frames):
    """https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-trial-info: trial_id (from 1),
    hyperparameters and hparam_tuning_evaluation_metrics (STRUCTs; the latter holds the hparam_tuning_objectives
    metric), training_loss, eval_loss, status, error_message, is_optimal. Each trial's eval_loss is the mean squared
    error of its own predictions on the evaluation rows (scikit-learn's), and the tuned model's ML.WEIGHTS and
    ML.CENTROIDS start with the optimal trial_id
    (https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-weights,
    https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-centroids)."""
    train, _ = frames
    cur = loaded.cursor()
    cur.execute(
        f"CREATE MODEL t OPTIONS(model_type='linear_reg', input_label_cols=['y_reg'], {SPLIT}, num_trials=3, "
        "hparam_tuning_algorithm='GRID_SEARCH', l2_reg=HPARAM_CANDIDATES([0.0, 10.0, 1000.0]), "
        "hparam_tuning_objectives=['mean_squared_error']) AS "
        "SELECT x1, x2, color, flag, y_reg, id % 4 = 0 AS is_eval FROM train"
    )
    assert _columns(loaded, "SELECT * FROM ML.TRIAL_INFO(MODEL t)") == [
        "trial_id",
        "hyperparameters",
        "hparam_tuning_evaluation_metrics",
        "training_loss",
        "eval_loss",
        "status",
        "error_message",
        "is_optimal",
    ]
    trials = _rows(loaded, "SELECT * FROM ML.TRIAL_INFO(MODEL t) ORDER BY trial_id")
    assert [t["trial_id"] for t in trials] == [1, 2, 3]
    assert sorted(t["hyperparameters"]["l2_reg"] for t in trials) == [0.0, 10.0, 1000.0]
    evaluation = train[train["id"] % 4 == 0].sort_values("id")
    for trial in trials:
        assert list(trial["hparam_tuning_evaluation_metrics"]) == ["mean_squared_error"]
        cur.execute(
            "SELECT predicted_y_reg FROM ML.PREDICT(MODEL t, (SELECT * FROM train WHERE id % 4 = 0 ORDER BY id), "
            f"STRUCT({trial['trial_id']} AS trial_id))"
        )
        mse = mean_squared_error(evaluation["y_reg"], [r[0] for r in cur.fetchall()])
        assert trial["eval_loss"] == pytest.approx(mse, rel=1e-9)
        assert trial["hparam_tuning_evaluation_metrics"]["mean_squared_error"] == pytest.approx(mse, rel=1e-9)
        assert 0 < trial["training_loss"] and trial["status"] == "SUCCEEDED"
    optimal = min(trials, key=lambda t: (t["eval_loss"], t["trial_id"]))["trial_id"]
    assert [t["trial_id"] for t in trials if t["is_optimal"]] == [optimal]
    weights = _rows(loaded, "SELECT * FROM ML.WEIGHTS(MODEL t)")
    assert list(weights[0]) == ["trial_id", "processed_input", "weight", "category_weights"]
    assert {w["trial_id"] for w in weights} == {optimal}
    cur.execute(
        f"CREATE MODEL k OPTIONS(model_type='kmeans', num_trials=2, num_clusters=HPARAM_RANGE(2, 3)) AS {FEATURES}"
    )
    (optimal,) = cur.execute("SELECT trial_id FROM ML.TRIAL_INFO(MODEL k) WHERE is_optimal").fetchone()
    centroids = _rows(loaded, "SELECT * FROM ML.CENTROIDS(MODEL k)")
    assert list(centroids[0]) == [
        "trial_id",
        "centroid_id",
        "feature",
        "numerical_value",
        "categorical_value",
        "geography_value",
    ]
    assert {c["trial_id"] for c in centroids} == {optimal}


def test_training_info_columns_and_kmeans_cluster_info(loaded, frames):
    """https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-train: training_run, iteration,
    loss, eval_loss, learning_rate, duration_ms; k-means models have no eval_loss and add cluster_info (centroid_id,
    cluster_radius, cluster_size), here against scikit-learn's KMeans started from the same rows: its sizes, its
    clusters' root mean square distances in the standardized features, its inertia per row as the loss."""
    train, test = frames
    _create(loaded, "lin", "tree")
    common = ["training_run", "iteration", "loss", "eval_loss", "learning_rate", "duration_ms"]
    for model in ("lin", "tree"):
        assert _columns(loaded, f"SELECT * FROM ML.TRAINING_INFO(MODEL {model})") == common
    marked = [3, 50, 400]
    loaded.cursor().execute(
        "CREATE MODEL km OPTIONS(model_type='kmeans', num_clusters=3, kmeans_init_method='CUSTOM', "
        f"kmeans_init_col='is_seed', max_iterations=2, early_stop=FALSE) AS "
        f"SELECT x1, x2, color, flag, id IN {tuple(marked)} AS is_seed FROM train"
    )
    info = _rows(loaded, "SELECT * FROM ML.TRAINING_INFO(MODEL km) ORDER BY iteration")
    assert list(info[0]) == ["training_run", "iteration", "loss", "learning_rate", "duration_ms", "cluster_info"]
    X, _ = linear_matrices(train, test)
    for iterations, row in enumerate(info, 1):
        reference = KMeans(3, init=X[marked], n_init=1, max_iter=iterations, tol=0).fit(X)
        sizes = np.bincount(reference.labels_, minlength=3)
        squares = ((X - reference.cluster_centers_[reference.labels_]) ** 2).sum(axis=1)
        radii = np.sqrt(np.bincount(reference.labels_, squares, minlength=3) / sizes)
        assert [c["centroid_id"] for c in row["cluster_info"]] == [1, 2, 3]
        assert [c["cluster_size"] for c in row["cluster_info"]] == sizes.tolist()
        np.testing.assert_allclose([c["cluster_radius"] for c in row["cluster_info"]], radii, rtol=1e-9)
        assert row["loss"] == pytest.approx(reference.inertia_ / len(X), rel=1e-9)


def test_unsupervised_function_columns_and_numbering(loaded, frames):
    """https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-centroids (geography_value;
    centroid_id from 1, as ML.PREDICT's CENTROID_ID),
    https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-principal-components and
    https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-principal-component-info
    (principal_component_id from 0: BigQuery DataFrames' tests/system/small/ml/test_core.py expects [0, 1, 2]),
    https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-detect-anomalies (the anomaly
    columns, then the input's)."""
    train, test = frames
    cur = loaded.cursor()
    cur.execute(f"CREATE MODEL km OPTIONS(model_type='kmeans', num_clusters=3) AS {FEATURES}")
    cur.execute(f"CREATE MODEL p OPTIONS(model_type='pca', num_principal_components=3) AS {FEATURES}")
    centroids = _rows(loaded, "SELECT * FROM ML.CENTROIDS(MODEL km)")
    assert list(centroids[0]) == ["centroid_id", "feature", "numerical_value", "categorical_value", "geography_value"]
    assert {c["centroid_id"] for c in centroids} == {1, 2, 3}
    assert all(c["geography_value"] is None for c in centroids)
    assert _columns(loaded, "SELECT * FROM ML.PRINCIPAL_COMPONENTS(MODEL p)") == [
        "principal_component_id",
        "feature",
        "numerical_value",
        "categorical_value",
    ]
    info = _rows(loaded, "SELECT * FROM ML.PRINCIPAL_COMPONENT_INFO(MODEL p) ORDER BY principal_component_id")
    assert list(info[0]) == [
        "principal_component_id",
        "eigenvalue",
        "explained_variance_ratio",
        "cumulative_explained_variance_ratio",
    ]
    X, _ = linear_matrices(train, test)
    reference = PCA(3, random_state=0).fit(X)
    assert [r["principal_component_id"] for r in info] == [0, 1, 2]
    np.testing.assert_allclose([r["eigenvalue"] for r in info], reference.explained_variance_, rtol=1e-9)
    cur.execute("SELECT DISTINCT principal_component_id FROM ML.PRINCIPAL_COMPONENTS(MODEL p) ORDER BY 1")
    assert cur.fetchall() == [(0,), (1,), (2,)]
    data = "(SELECT id, x1, x2, color, flag FROM test)"
    assert _columns(loaded, f"SELECT * FROM ML.DETECT_ANOMALIES(MODEL km, STRUCT(0.1 AS contamination), {data})") == [
        "is_anomaly",
        "normalized_distance",
        "centroid_id",
        *INPUT,
    ]
    assert _columns(loaded, f"SELECT * FROM ML.DETECT_ANOMALIES(MODEL p, STRUCT(0.1 AS contamination), {data})") == [
        "is_anomaly",
        "mean_squared_error",
        *INPUT,
    ]


def test_transform_gives_the_transform_outputs(loaded):
    """https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-transform: the TRANSFORM clause's
    outputs, in its order (with the label when the input has it)."""
    cur = loaded.cursor()
    cur.execute(
        "CREATE MODEL tr TRANSFORM(ML.STANDARD_SCALER(x1) OVER () AS sx, color, y_reg) "
        "OPTIONS(model_type='linear_reg', input_label_cols=['y_reg']) AS SELECT x1, color, y_reg FROM train"
    )
    assert _columns(loaded, "SELECT * FROM ML.TRANSFORM(MODEL tr, TABLE test)") == ["sx", "color", "y_reg"]


def test_versions_stored_before_these_columns_read_them_as_null(loaded):
    """A k-means version whose training history predates cluster_info, and trials stored before their losses
    were kept, still answer ML.TRAINING_INFO and ML.TRIAL_INFO, with NULL in the new columns."""
    cur = loaded.cursor()
    cur.execute(f"CREATE MODEL km OPTIONS(model_type='kmeans', num_clusters=3, max_iterations=2) AS {FEATURES}")
    cur.execute(
        "UPDATE sqlml.model_versions SET training_info = (SELECT to_json(list(r)) FROM (SELECT unnest("
        'json_transform(training_info, \'[{"training_run": "BIGINT", "iteration": "BIGINT", '
        '"loss": "DOUBLE", "eval_loss": "DOUBLE", "learning_rate": "DOUBLE", '
        '"duration_ms": "BIGINT"}]\')) AS r)) WHERE model_name = \'km\''
    )  # the rows as an sqlml older than cluster_info stored them
    info = _rows(loaded, "SELECT * FROM ML.TRAINING_INFO(MODEL km) ORDER BY iteration")
    assert [(r["iteration"], r["cluster_info"]) for r in info] == [(0, None), (1, None)]
    cur.execute(
        "CREATE MODEL t OPTIONS(model_type='linear_reg', input_label_cols=['y_reg'], num_trials=2, "
        "l2_reg=HPARAM_CANDIDATES([0.0, 1.0]), hparam_tuning_algorithm='GRID_SEARCH') AS "
        "SELECT x1, x2, y_reg FROM train"
    )
    cur.execute("UPDATE sqlml.model_trials SET training_loss = NULL, eval_loss = NULL")
    trials = _rows(loaded, "SELECT * FROM ML.TRIAL_INFO(MODEL t)")
    assert [(t["trial_id"], t["training_loss"], t["eval_loss"], t["status"]) for t in trials] == [
        (1, None, None, "SUCCEEDED"),
        (2, None, None, "SUCCEEDED"),
    ]


def test_pca_predict_keeps_its_feature_columns_only_when_asked(loaded, frames):
    """https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-predict: KEEP_ORIGINAL_COLUMNS
    (default FALSE) appends a PCA model's input columns; columns the model does not use pass through either way;
    the argument applies to PCA models only. Components equal scikit-learn's PCA transform, on the compiled path
    and on the streamed one (an input that calls an ML function)."""
    train, test = frames
    _create(loaded, "lin")
    loaded.cursor().execute(f"CREATE MODEL p OPTIONS(model_type='pca', num_principal_components=2) AS {FEATURES}")
    X, X_test = linear_matrices(train, test)
    components = PCA(2, random_state=0).fit(X).transform(X_test)
    names = ["principal_component_1", "principal_component_2"]
    compiled = "(SELECT id, x1, x2, color, flag FROM test)"
    streamed = "(SELECT id, x1, x2, color, flag FROM ML.PREDICT(MODEL lin, TABLE test))"
    for data in (compiled, streamed):
        for option, passed in (
            ("", ["id"]),
            (", STRUCT(FALSE AS keep_original_columns)", ["id"]),
            (", STRUCT(TRUE AS keep_original_columns)", INPUT),
        ):
            rows = _rows(loaded, f"SELECT * FROM ML.PREDICT(MODEL p, {data}{option}) ORDER BY id")
            assert list(rows[0]) == names + passed, (data, option)
            np.testing.assert_allclose([[r[n] for n in names] for r in rows], components, atol=1e-9)
        kept = _rows(
            loaded, f"SELECT * FROM ML.PREDICT(MODEL p, {data}, STRUCT(TRUE AS keep_original_columns)) ORDER BY id"
        )
        assert [[r[c] for c in INPUT] for r in kept] == test[INPUT].astype(object).where(
            test[INPUT].notna(), None
        ).values.tolist()
    loaded.cursor().execute(
        "CREATE MODEL pt TRANSFORM(x1 * 2 AS doubled, color) OPTIONS(model_type='pca', num_principal_components=2) "
        "AS SELECT x1, color FROM train"
    )  # with a TRANSFORM, the columns its features read are the ones left out
    for data in (compiled, streamed):
        assert _columns(loaded, f"SELECT * FROM ML.PREDICT(MODEL pt, {data})") == names + ["id", "x2", "flag"]
        kept = f"SELECT * FROM ML.PREDICT(MODEL pt, {data}, STRUCT(TRUE AS keep_original_columns))"
        assert _columns(loaded, kept) == names + INPUT
    fails(
        loaded,
        f"SELECT * FROM ML.PREDICT(MODEL lin, {compiled}, STRUCT(TRUE AS keep_original_columns))",
        sqlml.NotSupportedError,
        "keep_original_columns",
        "pca models only",
        "main.lin",
    )
    fails(
        loaded,
        f"SELECT * FROM ML.PREDICT(MODEL p, {compiled}, STRUCT('yes' AS keep_original_columns))",
        sqlml.ProgrammingError,
        "keep_original_columns must be TRUE or FALSE",
    )

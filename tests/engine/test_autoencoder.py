"""model_type='autoencoder' and its functions against independent references: scikit-learn's MLPRegressor
trained on the same encoded rows (linear_matrices) with the same seed, its reconstruction's errors computed
here in numpy, the latent layer a forward pass over its weights, thresholds numpy quantiles; the activity
penalty's gradient against finite differences; planted anomalies found; bad input refused, nothing changed.

Pages: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-create-autoencoder,
bigqueryml-syntax-reconstruction-loss, bigqueryml-syntax-detect-anomalies, bigqueryml-syntax-generate-embedding,
bigqueryml-syntax-predict (latent_col_<index>), bigqueryml-syntax-evaluate (the autoencoder's metrics).
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.neural_network import MLPRegressor

import sqlml
from benchmarks.anomaly_detectors import DETECTORS, detect, load_transactions
from sqlml.engine.families.mlp import Network
from tests.engine.reference import fails, linear_matrices
from tests.export.onnx_helpers import rows_of, run_onnx

HIDDEN = (6, 3, 6)
AE = (
    "CREATE MODEL ae OPTIONS(model_type='autoencoder', hidden_units=[6, 3, 6], early_stop=FALSE, "
    "max_iterations={epochs}) AS SELECT x1, x2, color, flag FROM train"
)
INPUT = "(SELECT id, x1, x2, color, flag FROM test)"


def _reference(frames, epochs: int) -> tuple[np.ndarray, np.ndarray, MLPRegressor]:
    """The encoded train and test rows, and scikit-learn's network trained to reproduce the train rows: one
    partial_fit per epoch, the seed's RandomState carried from epoch to epoch (docs/model_types.md)."""
    X, X_test = linear_matrices(*frames)
    mlp = MLPRegressor(hidden_layer_sizes=HIDDEN, alpha=0.0, batch_size=32, random_state=np.random.RandomState(0))
    for _ in range(epochs):
        mlp.partial_fit(X, X)
    return X, X_test, mlp


def _latent(mlp: MLPRegressor, X: np.ndarray) -> np.ndarray:
    """The middle hidden layer: relu layer by layer over scikit-learn's weights."""
    for w, b in zip(mlp.coefs_[:2], mlp.intercepts_[:2]):
        X = np.maximum(X @ w + b, 0.0)
    return X


def _losses(X: np.ndarray, reconstruction: np.ndarray) -> dict[str, np.ndarray]:
    """Per row, as written in tf.keras.losses (MSLE clips at Keras' epsilon 1e-7 before log1p)."""
    clip = np.maximum
    return {
        "mean_absolute_error": np.mean(np.abs(reconstruction - X), axis=1),
        "mean_squared_error": np.mean((reconstruction - X) ** 2, axis=1),
        "mean_squared_log_error": np.mean((np.log(clip(reconstruction, 1e-7) + 1) - np.log(clip(X, 1e-7) + 1)) ** 2, 1),
    }


def _column(rows: list[dict], name: str) -> np.ndarray:
    return np.array([row[name] for row in rows])


def test_training_equals_scikit_learn_and_the_functions_read_its_network(loaded, frames):
    loaded.cursor().execute(AE.format(epochs=3))
    X, X_test, mlp = _reference(frames, 3)
    expected = _losses(X_test, mlp.predict(X_test))
    losses = rows_of(loaded, f"SELECT * FROM ML.RECONSTRUCTION_LOSS(MODEL ae, {INPUT}) ORDER BY id")
    assert list(losses[0]) == [*expected, "id", "x1", "x2", "color", "flag"]  # BigQuery's columns, then the input
    for name, values in expected.items():
        np.testing.assert_allclose(_column(losses, name), values, rtol=1e-9, atol=1e-12)
    predicted = rows_of(loaded, f"SELECT * FROM ML.PREDICT(MODEL ae, {INPUT}) ORDER BY id")
    assert list(predicted[0])[:4] == ["latent_col_1", "latent_col_2", "latent_col_3", "id"]
    latent = np.column_stack([_column(predicted, f"latent_col_{i}") for i in (1, 2, 3)])
    np.testing.assert_allclose(latent, _latent(mlp, X_test), rtol=1e-9, atol=1e-12)
    embedded = rows_of(loaded, f"SELECT * FROM ML.GENERATE_EMBEDDING(MODEL ae, {INPUT}) ORDER BY id")
    assert list(embedded[0])[:2] == ["ml_generate_embedding_result", "id"]
    np.testing.assert_allclose(np.array(_column(embedded, "ml_generate_embedding_result").tolist()), latent)
    # ML.EVALUATE: the rows' errors averaged; without input, the training rows' (an autoencoder holds none out)
    (given,) = rows_of(loaded, f"SELECT * FROM ML.EVALUATE(MODEL ae, {INPUT})")
    (stored,) = rows_of(loaded, "SELECT * FROM ML.EVALUATE(MODEL ae)")
    training = _losses(X, mlp.predict(X))
    for name in expected:
        assert given[name] == pytest.approx(expected[name].mean(), rel=1e-9)
        assert stored[name] == pytest.approx(training[name].mean(), rel=1e-9)


def test_default_hidden_units_follow_bigquerys_rule(loaded, frames):
    """No hidden_units: one layer of min(128, rows / (10 * (inputs + outputs))) units, outputs = inputs = the
    encoded width (the create-autoencoder page's rule)."""
    loaded.cursor().execute(
        "CREATE MODEL auto OPTIONS(model_type='autoencoder', max_iterations=1) AS SELECT x1, x2, color, flag FROM train"
    )
    width = linear_matrices(*frames)[0].shape[1]
    (row,) = rows_of(loaded, "SELECT * FROM ML.PREDICT(MODEL auto, (SELECT x1, x2, color, flag FROM test)) LIMIT 1")
    latent = [name for name in row if name.startswith("latent_col_")]
    assert len(latent) == max(1, min(128, len(frames[0]) // (20 * width)))


def test_generate_embedding_of_pca_is_scikit_learns_projection(loaded, frames):
    from sklearn.decomposition import PCA

    loaded.cursor().execute(
        "CREATE MODEL p OPTIONS(model_type='pca', num_principal_components=2) AS SELECT x1, x2, color, flag FROM train"
    )
    X, X_test = linear_matrices(*frames)
    rows = rows_of(loaded, f"SELECT * FROM ML.GENERATE_EMBEDDING(MODEL p, {INPUT}) ORDER BY id")
    assert list(rows[0]) == ["ml_generate_embedding_result", "id", "x1", "x2", "color", "flag"]
    embedded = np.array(_column(rows, "ml_generate_embedding_result").tolist())
    np.testing.assert_allclose(embedded, PCA(2, svd_solver="auto", random_state=0).fit(X).transform(X_test), atol=1e-9)


def test_detect_anomalies_flags_rows_above_the_training_quantile(loaded, frames):
    loaded.cursor().execute(AE.format(epochs=2))
    X, X_test, mlp = _reference(frames, 2)
    threshold = np.quantile(_losses(X, mlp.predict(X))["mean_squared_error"], 1 - 0.05)
    errors = _losses(X_test, mlp.predict(X_test))["mean_squared_error"]
    rows = rows_of(
        loaded, f"SELECT * FROM ML.DETECT_ANOMALIES(MODEL ae, STRUCT(0.05 AS contamination), {INPUT}) ORDER BY id"
    )
    assert list(rows[0])[:3] == ["is_anomaly", "mean_squared_error", "id"]
    np.testing.assert_allclose(_column(rows, "mean_squared_error"), errors, rtol=1e-9)
    assert _column(rows, "is_anomaly").tolist() == (errors > threshold).tolist()
    assert 0 < _column(rows, "is_anomaly").sum() < len(rows)


def test_the_activity_penalty_is_the_gradient_of_its_objective():
    """Network.gradients with activity_l1 against central differences of mean over rows of
    1/2 |output - X|^2 + strength * sum |middle layer|."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(7, 4))
    network = Network.initial([4, 5, 2, 5, 4], "tanh", 0, np.random.RandomState(1))
    strength = 0.3

    def objective() -> float:
        h = X
        for i, (w, b) in enumerate(zip(network.weights[:-1], network.biases[:-1])):
            h = np.tanh(h @ w + b)
            if i == 1:
                middle = h
        out = h @ network.weights[-1] + network.biases[-1]
        return float(np.mean(0.5 * ((out - X) ** 2).sum(axis=1) + strength * np.abs(middle).sum(axis=1)))

    grads = network.gradients(X, X, None, 0.0, 0.0, np.random.default_rng(0), activity_l1=(1, strength))
    for param, grad in zip(network.weights + network.biases, grads):
        numeric = np.zeros_like(param)
        for index in np.ndindex(param.shape):
            kept = param[index]
            param[index] = kept + 1e-6
            up = objective()
            param[index] = kept - 1e-6
            numeric[index] = (up - objective()) / 2e-6
            param[index] = kept
        np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)


def test_l1_reg_activation_shrinks_the_latent_activations(loaded):
    """The penalty reaches training: the middle layer's mean |activation| falls as l1_reg_activation grows."""
    cur = loaded.cursor()
    means = []
    for strength in (0.0, 0.1):
        cur.execute(
            f"CREATE OR REPLACE MODEL l1 OPTIONS(model_type='autoencoder', hidden_units=[6, 3, 6], early_stop=FALSE, "
            f"max_iterations=10, l1_reg_activation={strength}) AS SELECT x1, x2, color, flag FROM train"
        )
        rows = rows_of(loaded, "SELECT * FROM ML.PREDICT(MODEL l1, TABLE train)")
        means.append(np.mean([abs(row[f"latent_col_{i}"]) for row in rows for i in (1, 2, 3)]))
    assert means[1] < 0.5 * means[0], means


def test_tuning_keeps_the_trial_with_the_lowest_mean_squared_error(loaded):
    """BigQuery ML's default objective for autoencoders, minimized; ML.EVALUATE reports the optimal trial."""
    loaded.cursor().execute(
        "CREATE MODEL tuned OPTIONS(model_type='autoencoder', hidden_units=[6, 3, 6], max_iterations=3, "
        "num_trials=3, hparam_tuning_algorithm='GRID_SEARCH', learn_rate=HPARAM_CANDIDATES([0.0001, 0.003, 0.03])) "
        "AS SELECT x1, x2, color, flag FROM train"
    )
    trials = rows_of(loaded, "SELECT * FROM ML.TRIAL_INFO(MODEL tuned)")
    errors = {t["trial_id"]: t["hparam_tuning_evaluation_metrics"]["mean_squared_error"] for t in trials}
    (optimal,) = [t["trial_id"] for t in trials if t["is_optimal"]]
    assert errors[optimal] == min(errors.values()) and len(set(errors.values())) == 3
    (evaluated,) = rows_of(loaded, "SELECT * FROM ML.EVALUATE(MODEL tuned)")
    assert evaluated["trial_id"] == optimal
    assert evaluated["mean_squared_error"] == pytest.approx(errors[optimal], rel=1e-12)


def test_the_export_reproduces_the_functions(loaded, frames, tmp_path):
    """One graph: latent_space as ML.PREDICT's latent columns, mean_squared_error as ML.RECONSTRUCTION_LOSS's,
    reconstruction as scikit-learn's network."""
    loaded.cursor().execute(AE.format(epochs=2))
    loaded.cursor().execute(f"EXPORT MODEL ae OPTIONS(uri='{tmp_path / 'ae.onnx'}')")
    inputs = rows_of(loaded, "SELECT x1, x2, color, flag FROM test ORDER BY id")
    outputs = run_onnx(tmp_path / "ae.onnx", inputs)
    _, X_test, mlp = _reference(frames, 2)
    np.testing.assert_allclose(outputs["reconstruction"], mlp.predict(X_test), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(outputs["latent_space"], _latent(mlp, X_test), rtol=1e-9, atol=1e-12)
    losses = rows_of(loaded, f"SELECT mean_squared_error FROM ML.RECONSTRUCTION_LOSS(MODEL ae, {INPUT}) ORDER BY id")
    np.testing.assert_allclose(outputs["mean_squared_error"], _column(losses, "mean_squared_error"), rtol=1e-9)


def test_a_float16_export_stays_close_to_the_network(loaded, frames, tmp_path):
    """Weights in float16: the reconstruction within 1% of scikit-learn's network's largest value."""
    loaded.cursor().execute(AE.format(epochs=2))
    loaded.cursor().execute(f"EXPORT MODEL ae OPTIONS(uri='{tmp_path / 'half.onnx'}', quantize='float16')")
    outputs = run_onnx(tmp_path / "half.onnx", rows_of(loaded, "SELECT x1, x2, color, flag FROM test ORDER BY id"))
    _, X_test, mlp = _reference(frames, 2)
    expected = mlp.predict(X_test)
    assert np.abs(outputs["reconstruction"] - expected).max() <= 0.01 * np.abs(expected).max()


def test_planted_anomalies_are_found_with_the_true_contamination(tmp_path):
    """benchmarks/anomaly_detectors.py's fraud-like rows: 2% planted, at least 80% of them flagged."""
    with sqlml.connect() as con:
        load_transactions(con, 2_000, tmp_path)
        figures = detect(con, "autoencoder", DETECTORS["autoencoder"])
    assert figures["planted"] == 40
    assert figures["recall"] >= 0.8, figures


TRAIN = "CREATE MODEL bad OPTIONS(model_type='autoencoder', {options}) AS SELECT x1, x2, color FROM train"


@pytest.mark.parametrize(
    "statement, error, fragments",
    [
        (
            TRAIN.format(options="hidden_units=[8, 4, 2]"),
            sqlml.ProgrammingError,
            ["hidden_units [8, 4, 2]", "symmetric"],
        ),
        (TRAIN.format(options="hidden_units=[4, 4]"), sqlml.ProgrammingError, ["hidden_units [4, 4]", "middle layer"]),
        (TRAIN.format(options="activation_fn='CRELU'"), sqlml.ProgrammingError, ["activation_fn", "CRELU"]),
        (TRAIN.format(options="activation_fn='SWISH'"), sqlml.ProgrammingError, ["activation_fn", "SWISH"]),
        (TRAIN.format(options="batch_size=10000"), sqlml.ProgrammingError, ["batch_size"]),
        (TRAIN.format(options="tf_version='2.17.0'"), sqlml.ProgrammingError, ["tf_version 2.17.0"]),
        (TRAIN.format(options="data_split_method='RANDOM'"), sqlml.ProgrammingError, ["data_split_method"]),
        (
            "SELECT * FROM ML.DETECT_ANOMALIES(MODEL ae, STRUCT(0.7 AS contamination), TABLE test)",
            sqlml.ProgrammingError,
            ["contamination must be in [0, 0.5]"],
        ),
        (
            "SELECT * FROM ML.DETECT_ANOMALIES(MODEL ae, TABLE test)",
            sqlml.ProgrammingError,
            ["STRUCT(<value> AS contamination)"],
        ),
        ("SELECT * FROM ML.RECONSTRUCTION_LOSS(MODEL ae)", sqlml.ProgrammingError, ["needs input data"]),
        (
            "SELECT * FROM ML.RECONSTRUCTION_LOSS(MODEL reg, TABLE test)",
            sqlml.NotSupportedError,
            ["ML.RECONSTRUCTION_LOSS takes autoencoder models", "linear_reg"],
        ),
        (
            "SELECT * FROM ML.GENERATE_EMBEDDING(MODEL reg, TABLE test)",
            sqlml.NotSupportedError,
            ["ML.GENERATE_EMBEDDING takes pca, autoencoder and matrix factorization models"],
        ),
        (
            "SELECT * FROM ML.GENERATE_EMBEDDING(MODEL ae)",
            sqlml.ProgrammingError,
            ["needs input data for autoencoder models"],
        ),
        ("SELECT * FROM ML.RECONSTRUCTION_LOSS(MODEL ae, (SELECT x1 FROM test))", sqlml.ProgrammingError, ["x2"]),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(loaded, statement, error, fragments):
    cur = loaded.cursor()
    cur.execute(AE.format(epochs=1))
    cur.execute(
        "CREATE MODEL reg OPTIONS(model_type='linear_reg', input_label_cols=['y_reg']) AS SELECT x1, y_reg FROM train"
    )
    fails(loaded, statement, error, *fragments)

"""warm_start=TRUE and ML.TRAINING_INFO, against LightGBM and scikit-learn run directly."""

from __future__ import annotations

import json

import lightgbm as lgb
import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import log_loss

import sqlml
from tests.engine.reference import LGB_DEFAULTS, fails

BOOSTED = (
    "CREATE OR REPLACE MODEL b OPTIONS(model_type='boosted_tree_regressor', input_label_cols=['y_reg'], "
    "data_split_method='NO_SPLIT', early_stop=FALSE, max_iterations={n}{extra}) AS "
    "SELECT x1, y_reg FROM train WHERE {where}"
)


def _info(cur, model):
    cur.execute(
        f"SELECT training_run, iteration, loss, eval_loss, learning_rate, duration_ms "
        f"FROM ML.TRAINING_INFO(MODEL {model}) ORDER BY training_run, iteration"
    )
    return cur.fetchall()


def test_boosted_tree_continues_with_init_model(loaded, frames):
    train, test = frames
    cur = loaded.cursor()
    cur.execute(BOOSTED.format(n=5, extra="", where="id < 300"))
    cur.execute(BOOSTED.format(n=3, extra=", warm_start=TRUE", where="id >= 300"))
    first, second = train[train["id"] < 300], train[train["id"] >= 300]
    params = {**LGB_DEFAULTS, "objective": "regression"}
    booster = lgb.train(params, lgb.Dataset(first[["x1"]].to_numpy(), first["y_reg"]), 5)
    booster = lgb.train(params, lgb.Dataset(second[["x1"]].to_numpy(), second["y_reg"]), 3, init_model=booster)
    cur.execute("SELECT predicted_y_reg FROM ML.PREDICT(MODEL b, TABLE test) ORDER BY id")
    np.testing.assert_allclose([r[0] for r in cur.fetchall()], booster.predict(test[["x1"]].to_numpy()), rtol=1e-9)

    info = _info(cur, "b")
    assert [(r[0], r[1]) for r in info] == [(0, i) for i in range(5)] + [(1, i) for i in range(3)]
    assert all(r[3] is None and r[4] == 0.3 and r[5] >= 0 for r in info)  # no split: no eval_loss
    X2 = second[["x1"]].to_numpy()
    for (_, _, loss, *_), trees in zip(info[5:], range(6, 9)):  # training loss: MSE of the ensemble so far
        assert loss == pytest.approx(
            np.mean((second["y_reg"] - booster.predict(X2, num_iteration=trees)) ** 2), rel=1e-6
        )
    cur.execute("SELECT version FROM sqlml.model_versions WHERE model_name = 'b' ORDER BY version")
    assert cur.fetchall() == [(1,), (2,)]


def test_kmeans_continues_from_the_previous_centroids(con):
    cur = con.cursor()
    cur.execute(
        "CREATE TABLE pts AS SELECT (range % 10)::DOUBLE AS a, (range * 7 % 13)::DOUBLE AS b, range AS id "
        "FROM range(200)"
    )
    cur.execute(
        "CREATE MODEL k OPTIONS(model_type='kmeans', num_clusters=3, standardize_features=FALSE, "
        "early_stop=FALSE, max_iterations=2) AS SELECT a, b FROM pts WHERE id < 100"
    )
    cur.execute("SELECT artifact FROM sqlml.model_versions WHERE model_name = 'k'")
    before = np.array(json.loads(cur.fetchone()[0])["centroids"])
    cur.execute(
        "CREATE OR REPLACE MODEL k OPTIONS(model_type='kmeans', num_clusters=3, standardize_features=FALSE, "
        "early_stop=FALSE, max_iterations=4, warm_start=TRUE) AS SELECT a, b FROM pts WHERE id >= 100"
    )
    cur.execute("SELECT a, b FROM pts WHERE id >= 100")
    X = np.array(cur.fetchall(), dtype=float)
    expected = KMeans(3, init=before, n_init=1, max_iter=4, tol=0).fit(X).cluster_centers_
    cur.execute("SELECT artifact FROM sqlml.model_versions WHERE model_name = 'k' AND version = 2")
    np.testing.assert_allclose(json.loads(cur.fetchone()[0])["centroids"], expected, atol=1e-9)
    cur.execute(  # kmeans has no eval_loss column, as BigQuery ML
        "SELECT training_run, iteration, loss FROM ML.TRAINING_INFO(MODEL k) ORDER BY training_run, iteration"
    )
    info = cur.fetchall()
    assert [(r[0], r[1]) for r in info] == [(0, 0), (0, 1)] + [(1, i) for i in range(4)]
    assert info[-1][2] == pytest.approx(
        KMeans(3, init=before, n_init=1, max_iter=4, tol=0).fit(X).inertia_ / len(X), rel=1e-9
    )


def test_dnn_continues_from_its_weights(loaded):
    cur = loaded.cursor()
    create = (
        "CREATE OR REPLACE MODEL d OPTIONS(model_type='dnn_classifier', input_label_cols=['y_bin'], "
        "hidden_units=[8], max_iterations={n}, early_stop=FALSE, learn_rate=0.01, data_split_method='RANDOM', "
        "data_split_eval_fraction=0.2{extra}) AS "
        "SELECT x1, x2, color, y_bin FROM train WHERE {where}"
    )
    cur.execute(create.format(n=40, extra="", where="id < 300"))
    cur.execute(create.format(n=2, extra=", warm_start=TRUE", where="id >= 300"))
    warm = _info(cur, "d")
    cur.execute(create.format(n=2, extra="", where="id >= 300").replace(" d ", " cold "))
    cold = _info(cur, "cold")
    assert [r[0] for r in warm] == [0] * 40 + [1, 1] and len(cold) == 2
    assert all(r[3] is not None for r in warm)  # an evaluation split, so an eval_loss
    # the continued network starts where 40 epochs left it: far below a fresh one's first epoch
    assert warm[40][2] < 0.8 * cold[0][2]


def test_single_shot_models_report_one_iteration(loaded):
    cur = loaded.cursor()
    cur.execute(
        "CREATE MODEL l OPTIONS(model_type='logistic_reg', input_label_cols=['y_bin'], "
        "data_split_method='NO_SPLIT') AS SELECT x1, y_bin FROM train"
    )
    ((run, iteration, loss, eval_loss, rate, _),) = _info(cur, "l")
    cur.execute("SELECT y_bin, predicted_y_bin_probs FROM ML.PREDICT(MODEL l, TABLE train)")
    rows = cur.fetchall()
    expected = log_loss([r[0] == "yes" for r in rows], [[e["prob"] for e in r[1]] for r in rows])
    assert (run, iteration, eval_loss, rate) == (0, 0, None, None)
    assert loss == pytest.approx(expected, rel=1e-9)


WARM = (
    "CREATE OR REPLACE MODEL w OPTIONS(model_type='{model_type}', input_label_cols=['y_bin'], warm_start=TRUE) "
    "AS {query}"
)
BAD = [
    (
        WARM.format(model_type="logistic_reg", query="SELECT x1, y_bin FROM train").replace(
            "w OPTIONS", "nope OPTIONS"
        ),
        sqlml.ProgrammingError,
        ["warm_start=TRUE continues an existing model", "nope"],
    ),
    (
        WARM.format(model_type="boosted_tree_classifier", query="SELECT x1, y_bin FROM train"),
        sqlml.ProgrammingError,
        ["model_type must stay logistic_reg"],
    ),
    (
        WARM.format(model_type="logistic_reg", query="SELECT x1, x2, y_bin FROM train"),
        sqlml.ProgrammingError,
        ["new column(s) x2"],
    ),
    (
        WARM.format(
            model_type="logistic_reg",
            query="SELECT x1, CASE WHEN id < 5 THEN 'maybe' ELSE y_bin END AS y_bin FROM train",
        ),
        sqlml.DataError,
        ["new class(es) ['maybe']"],
    ),
    (
        WARM.format(model_type="logistic_reg", query="SELECT y_bin FROM train"),
        sqlml.ProgrammingError,
        ["no feature columns"],
    ),
    (
        WARM.format(model_type="random_forest_classifier", query="SELECT x1, y_bin FROM train"),
        sqlml.ProgrammingError,
        ["unknown option 'warm_start'"],
    ),
    (
        "CREATE OR REPLACE MODEL w TRANSFORM(x1, y_bin) OPTIONS(model_type='logistic_reg', input_label_cols=['y_bin'], "
        "warm_start=TRUE) AS SELECT x1, y_bin FROM train",
        sqlml.ProgrammingError,
        ["keeps the model's TRANSFORM"],
    ),
    ("SELECT * FROM ML.TRAINING_INFO(MODEL w, TABLE train)", sqlml.ProgrammingError, ["model only"]),
]


@pytest.mark.parametrize("sql, error, fragments", BAD, ids=range(len(BAD)))
def test_bad_warm_start(loaded, sql, error, fragments):
    loaded.cursor().execute(
        "CREATE MODEL w OPTIONS(model_type='logistic_reg', input_label_cols=['y_bin']) AS SELECT x1, y_bin FROM train"
    )
    fails(loaded, sql, error, *fragments)


def test_warm_start_keeps_what_the_estimator_depends_on(con):
    """standardize_features and the default num_clusters come from the continued version; changing
    them, or a DNN's layers, is refused; a logistic_reg needs rows of every class it knows."""
    cur = con.cursor()
    cur.execute(
        "CREATE TABLE pts AS SELECT (range % 10)::DOUBLE AS a, (range * 7 % 13)::DOUBLE * 100 AS b, "
        "['x', 'y', 'z'][range % 3 + 1] AS k FROM range(300)"
    )
    cur.execute("CREATE MODEL km OPTIONS(model_type='kmeans', standardize_features=FALSE) AS SELECT a, b FROM pts")
    cur.execute("SELECT count(DISTINCT centroid_id) FROM ML.PREDICT(MODEL km, TABLE pts)")
    before = cur.fetchone()[0]
    cur.execute(
        "CREATE OR REPLACE MODEL km OPTIONS(model_type='kmeans', warm_start=TRUE, max_iterations=1) "
        "AS SELECT a, b FROM pts WHERE a < 5"
    )
    cur.execute(
        "SELECT options->>'standardize_features' FROM sqlml.model_versions WHERE model_name = 'km' AND version = 2"
    )
    assert cur.fetchone()[0] == "false"
    cur.execute("SELECT count(DISTINCT centroid_id) FROM ML.PREDICT(MODEL km, TABLE pts)")
    assert cur.fetchone()[0] == before  # same clusters, same (unscaled) encoding: not all rows in one
    fails(
        con,
        "CREATE OR REPLACE MODEL km OPTIONS(model_type='kmeans', warm_start=TRUE, standardize_features=TRUE) "
        "AS SELECT a, b FROM pts",
        sqlml.ProgrammingError,
        "keeps standardize_features = False",
    )
    cur.execute(
        "CREATE MODEL nn OPTIONS(model_type='dnn_regressor', input_label_cols=['b'], hidden_units=[8]) "
        "AS SELECT a, b FROM pts"
    )
    fails(
        con,
        "CREATE OR REPLACE MODEL nn OPTIONS(model_type='dnn_regressor', input_label_cols=['b'], "
        "hidden_units=[16, 4], warm_start=TRUE) AS SELECT a, b FROM pts",
        sqlml.ProgrammingError,
        "keeps hidden_units = [8]",
    )
    cur.execute("CREATE MODEL lg OPTIONS(model_type='logistic_reg', input_label_cols=['k']) AS SELECT a, b, k FROM pts")
    fails(
        con,
        "CREATE OR REPLACE MODEL lg OPTIONS(model_type='logistic_reg', input_label_cols=['k'], warm_start=TRUE) "
        "AS SELECT a, b, k FROM pts WHERE k <> 'z'",
        sqlml.DataError,
        "missing: ['z']",
    )


def test_warm_start_keeps_the_transform_and_its_statistics(loaded, frames):
    """The continued version applies the first version's fitted TRANSFORM (statistics of the first rows)
    to the new rows; its boosted trees continue as LightGBM's init_model does."""
    train, test = frames
    cur = loaded.cursor()
    create = (
        "CREATE OR REPLACE MODEL tb {transform} OPTIONS(model_type='boosted_tree_regressor', "
        "input_label_cols=['y_reg'], data_split_method='NO_SPLIT', early_stop=FALSE, max_iterations={n}{extra}) "
        "AS SELECT x1, y_reg FROM train WHERE {where}"
    )
    cur.execute(
        create.format(transform="TRANSFORM(ML.MIN_MAX_SCALER(x1) OVER () AS s, y_reg)", n=4, extra="", where="id < 300")
    )
    cur.execute(create.format(transform="", n=2, extra=", warm_start=TRUE", where="id >= 300"))
    first, second = train[train["id"] < 300], train[train["id"] >= 300]
    low, high = first["x1"].min(), first["x1"].max()  # the first rows' statistics, kept

    def scaled(frame):
        return ((frame[["x1"]].to_numpy() - low) / (high - low)).clip(0, 1)

    params = {**LGB_DEFAULTS, "objective": "regression"}
    booster = lgb.train(params, lgb.Dataset(scaled(first), first["y_reg"]), 4)
    booster = lgb.train(params, lgb.Dataset(scaled(second), second["y_reg"]), 2, init_model=booster)
    cur.execute("SELECT predicted_y_reg FROM ML.PREDICT(MODEL tb, (SELECT x1 FROM test ORDER BY id))")
    np.testing.assert_allclose([r[0] for r in cur.fetchall()], booster.predict(scaled(test)), rtol=1e-9)

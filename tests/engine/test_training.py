"""Data splits, stored statistics, class weights, early stopping, NULL labels: checked against values
computed independently from the same rows."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from sklearn import metrics as skm
from sklearn.linear_model import LinearRegression

from tests.engine.reference import linear_matrices


def _version(cur, name="m"):
    cur.execute("SELECT * FROM sqlml.model_versions WHERE model_name = ? ORDER BY version DESC LIMIT 1", [name])
    return dict(zip([d[0] for d in cur.description], cur.fetchone()))


def _create(cur, options, select="SELECT x1, x2, color, flag, y_reg FROM train"):
    cur.execute(
        f"CREATE OR REPLACE MODEL m OPTIONS(model_type='linear_reg', input_label_cols=['y_reg'], {options}) AS {select}"
    )
    return _version(cur)


@pytest.mark.parametrize(
    "options, n_train, n_eval",
    [
        ("data_split_method='AUTO_SPLIT'", 480, 120),  # 500..50,000 rows: 20% evaluate
        ("data_split_method='RANDOM', data_split_eval_fraction=0.25", 450, 150),
        ("data_split_method='NO_SPLIT'", 600, 0),
    ],
)
def test_split_sizes(loaded, options, n_train, n_eval):
    record = _create(loaded.cursor(), options)
    assert (record["training_rows"], record["eval_rows"]) == (n_train, n_eval)


def test_auto_split_under_500_rows_trains_on_everything(loaded):
    record = _create(
        loaded.cursor(), "data_split_method='AUTO_SPLIT'", "SELECT x1, x2, color, flag, y_reg FROM train WHERE id < 400"
    )
    assert (record["training_rows"], record["eval_rows"]) == (400, 0)


def test_seq_split_holds_out_the_largest_values_and_fits_statistics_on_the_rest(loaded, frames):
    train, _ = frames
    record = _create(
        loaded.cursor(),
        "data_split_method='SEQ', data_split_col='id', data_split_eval_fraction=0.3",
        "SELECT id, x1, x2, color, flag, y_reg FROM train",
    )
    assert (record["training_rows"], record["eval_rows"]) == (420, 180)
    features = json.loads(record["features"])
    assert [f["name"] for f in features] == ["x1", "x2", "color", "flag"]  # the split column is no feature
    first = train[train["id"] < 420]
    assert features[0]["mean"] == pytest.approx(first["x1"].mean(), rel=1e-12)
    assert features[0]["std"] == pytest.approx(first["x1"].std(ddof=0), rel=1e-12)


def test_custom_split_evaluation_equals_reference_on_held_out_rows(loaded, frames):
    train, _ = frames
    cur = loaded.cursor()
    # TRUE or NULL = evaluation row, as BigQuery ML defines it
    _create(
        cur,
        "data_split_method='CUSTOM', data_split_col='is_eval'",
        "SELECT x1, x2, color, flag, y_reg, CASE WHEN id % 4 = 0 THEN TRUE WHEN id % 4 = 1 THEN NULL "
        "ELSE FALSE END AS is_eval FROM train",
    )
    fit_rows, eval_rows = train[train["id"] % 4 >= 2], train[train["id"] % 4 < 2]
    X, X_eval = linear_matrices(fit_rows, eval_rows)
    predicted = LinearRegression().fit(X, fit_rows["y_reg"]).predict(X_eval)
    cur.execute("SELECT mean_squared_error, r2_score FROM ML.EVALUATE(MODEL m)")
    mse, r2 = cur.fetchone()
    assert mse == pytest.approx(skm.mean_squared_error(eval_rows["y_reg"], predicted), rel=1e-9)
    assert r2 == pytest.approx(skm.r2_score(eval_rows["y_reg"], predicted), rel=1e-9)


def test_null_labels_are_dropped_and_counted(loaded):
    record = _create(
        loaded.cursor(),
        "data_split_method='NO_SPLIT'",
        "SELECT x1, x2, color, flag, CASE WHEN id < 37 THEN NULL ELSE y_reg END AS y_reg FROM train",
    )
    assert (record["training_rows"], record["dropped_rows"]) == (563, 37)


def test_evaluate_without_input_recomputes_threshold_from_stored_split(loaded, frames):
    cur = loaded.cursor()
    cur.execute(
        "CREATE MODEL c OPTIONS(model_type='logistic_reg', input_label_cols=['y_bin'], "
        "data_split_method='RANDOM', data_split_eval_fraction=0.3) "
        "AS SELECT x1, x2, color, flag, y_bin FROM train"
    )
    cur.execute("SELECT recall FROM ML.EVALUATE(MODEL c)")
    (default_recall,) = cur.fetchone()
    cur.execute("SELECT recall FROM ML.EVALUATE(MODEL c, STRUCT(0.95 AS threshold))")
    (strict_recall,) = cur.fetchone()
    assert strict_recall < default_recall  # a higher threshold predicts fewer positives


def _assert_matches_weighted_logistic(con, frames, label, options, weights_of):
    """Train logistic_reg with `options`; compare with LogisticRegression fitted with row weights
    `weights_of(y)` on the same encoded rows (y: class indices)."""
    from sklearn.linear_model import LogisticRegression

    train, test = frames
    cur = con.cursor()
    cur.execute(
        f"CREATE MODEL w OPTIONS(model_type='logistic_reg', input_label_cols=['{label}'], "
        f"data_split_method='NO_SPLIT', {options}) AS SELECT x1, x2, color, flag, {label} FROM train"
    )
    X, X_test = linear_matrices(train, test)
    y = np.searchsorted(sorted(train[label].unique()), train[label])
    max_iter = int(re.search(r"max_iterations=(\d+)", options).group(1)) if "max_iterations" in options else 20
    expected = LogisticRegression(C=np.inf, max_iter=max_iter, random_state=0).fit(X, y, sample_weight=weights_of(y))
    cur.execute(f"SELECT predicted_{label}_probs FROM ML.PREDICT(MODEL w, TABLE test) ORDER BY id")
    probs = np.array([[e["prob"] for e in row[0]] for row in cur.fetchall()])
    np.testing.assert_allclose(probs, expected.predict_proba(X_test), atol=1e-6)


def test_auto_class_weights_match_bigquery_formula(loaded, frames):
    """auto_class_weights weights each row n / (k * n_class)."""
    _assert_matches_weighted_logistic(
        loaded,
        frames,
        "y_multi",
        "auto_class_weights=TRUE, max_iterations=100",
        lambda y: (len(y) / (3 * np.bincount(y)))[y],
    )


def test_class_weights_weight_rows_by_their_class(loaded, frames):
    _assert_matches_weighted_logistic(
        loaded,
        frames,
        "y_bin",
        "class_weights=[STRUCT('no', 0.5), STRUCT('yes', 3.0)]",
        lambda y: np.where(y == 1, 3.0, 0.5),
    )


def test_boosted_tree_early_stop_ends_training_before_max_iterations(loaded):
    cur = loaded.cursor()
    cur.execute(
        "CREATE MODEL b OPTIONS(model_type='boosted_tree_regressor', input_label_cols=['y_reg'], "
        "max_iterations=200, min_rel_progress=0.05) AS SELECT x1, x2, color, flag, y_reg FROM train"
    )
    trees_early = _version(cur, "b")["artifact"].decode().count("\nTree=")
    cur.execute(
        "CREATE OR REPLACE MODEL b OPTIONS(model_type='boosted_tree_regressor', "
        "input_label_cols=['y_reg'], max_iterations=200, early_stop=FALSE) "
        "AS SELECT x1, x2, color, flag, y_reg FROM train"
    )
    assert _version(cur, "b")["artifact"].decode().count("\nTree=") == 200
    assert 1 < trees_early < 200


def test_seed_makes_runs_reproducible_and_default_is_deterministic(loaded):
    cur = loaded.cursor()
    runs = []
    for seed in ("", ", seed=7", ", seed=7"):
        cur.execute(
            "CREATE OR REPLACE MODEL f OPTIONS(model_type='random_forest_regressor', "
            f"input_label_cols=['y_reg'], num_parallel_tree=5{seed}) AS SELECT x1, x2, y_reg FROM train"
        )
        cur.execute("SELECT mean_squared_error FROM ML.EVALUATE(MODEL f, TABLE test)")
        runs.append(cur.fetchone()[0])
    cur.execute(
        "CREATE OR REPLACE MODEL f OPTIONS(model_type='random_forest_regressor', "
        "input_label_cols=['y_reg'], num_parallel_tree=5) AS SELECT x1, x2, y_reg FROM train"
    )
    cur.execute("SELECT mean_squared_error FROM ML.EVALUATE(MODEL f, TABLE test)")
    assert cur.fetchone()[0] == runs[0]  # default seed: same result every time
    assert runs[1] == runs[2] and runs[1] != runs[0]


def test_timestamp_is_decomposed_into_epoch_and_parts(con):
    cur = con.cursor()
    cur.execute(
        "CREATE TABLE t AS SELECT TIMESTAMP '2024-01-01 00:00:00' + INTERVAL (i * 7) HOUR AS ts, "
        "i::DOUBLE AS y FROM range(100) r(i)"
    )
    cur.execute("CREATE MODEL m OPTIONS(model_type='linear_reg', input_label_cols=['y']) AS SELECT * FROM t")
    spec = json.loads(_version(cur)["features"])[0]
    parts = {p["name"]: p for p in spec["parts"]}
    assert set(parts) == {
        "ts",
        "ts_ts_dom",
        "ts_ts_dow",
        "ts_ts_moy",
        "ts_ts_hod",
        "ts_ts_moh",
        "ts_ts_woy",
        "ts_ts_year",
    }
    epochs = 1704067200 + np.arange(100) * 7 * 3600  # 2024-01-01T00:00:00Z in Unix seconds
    assert parts["ts"]["mean"] == pytest.approx(epochs.mean())
    assert parts["ts_ts_hod"]["vocabulary"] == sorted({str(h) for h in (np.arange(100) * 7) % 24})
    cur.execute("SELECT max(abs(predicted_y - y)) FROM ML.PREDICT(MODEL m, TABLE t)")
    assert cur.fetchone()[0] < 1e-6  # y is linear in the epoch seconds


def test_class_weights_must_cover_every_class(loaded):
    import sqlml

    with pytest.raises(sqlml.ProgrammingError, match="class_weights has no weight for class"):
        loaded.cursor().execute(
            "CREATE MODEL w OPTIONS(model_type='logistic_reg', input_label_cols=['y_bin'], "
            "class_weights=[STRUCT('no', 0.5)]) AS SELECT x1, y_bin FROM train"
        )


def test_fingerprint_changes_with_the_data_whatever_the_column_names(con):
    cur = con.cursor()
    prints = []
    for x in ("t", "t * 2"):
        cur.execute(
            f"CREATE OR REPLACE MODEL w OPTIONS(model_type='linear_reg') AS "
            f"SELECT {x}::DOUBLE AS t, t * 3.0 AS label FROM range(10) r(t)"
        )
        prints.append(_version(cur, "w")["data_fingerprint"])
    cur.execute(
        "CREATE OR REPLACE MODEL w OPTIONS(model_type='linear_reg') AS "
        "SELECT t::DOUBLE AS t, t * 3.0 AS label FROM range(9, -1, -1) r(t)"
    )  # same rows, other order
    assert prints[0] != prints[1]
    assert _version(cur, "w")["data_fingerprint"] == prints[0]
    assert prints[0].startswith("10:")


def test_input_query_sees_the_users_schema_search_path_and_time_zone(con):
    cur = con.cursor()
    cur.execute("CREATE TABLE t AS SELECT range::DOUBLE AS x, 2.0 * range AS label FROM range(10)")
    cur.execute("CREATE MODEL m OPTIONS(model_type='linear_reg') AS SELECT * FROM t")
    cur.execute("CREATE SCHEMA lab; CREATE TABLE lab.t AS SELECT 100.0 AS x; USE lab")
    cur.execute("SELECT x, round(predicted_label, 6) FROM ML.PREDICT(MODEL main.m, TABLE t)")
    assert cur.fetchall() == [(100.0, 200.0)]


def test_timestamptz_features_encode_the_same_in_any_session_time_zone(con):
    cur = con.cursor()
    cur.execute("SET TimeZone = 'America/New_York'")
    cur.execute(
        "CREATE TABLE tz AS SELECT TIMESTAMPTZ '2024-01-01 00:00:00+00' + INTERVAL (i * 5) HOUR AS t, "
        "hour(TIMESTAMPTZ '2024-01-01 00:00:00+00' + INTERVAL (i * 5) HOUR) < 12 AS label FROM range(160) r(i)"
    )
    cur.execute(
        "CREATE MODEL mz OPTIONS(model_type='logistic_reg', data_split_method='NO_SPLIT', "
        "max_iterations=200) AS SELECT * FROM tz"
    )
    cur.execute("SELECT accuracy FROM ML.EVALUATE(MODEL mz)")
    (stored,) = cur.fetchone()
    cur.execute("SELECT accuracy FROM ML.EVALUATE(MODEL mz, TABLE tz)")
    assert cur.fetchone() == (stored,)
    cur.execute("SET TimeZone = 'Asia/Tokyo'")
    cur.execute("SELECT accuracy FROM ML.EVALUATE(MODEL mz, TABLE tz)")
    assert cur.fetchone() == (stored,)


def test_replacing_under_another_letter_case_keeps_one_model(con):
    cur = con.cursor()
    cur.execute("CREATE TABLE t AS SELECT range::DOUBLE AS x, 2.0 * range AS label FROM range(10)")
    cur.execute("CREATE MODEL Foo OPTIONS(model_type='linear_reg') AS SELECT * FROM t")
    cur.execute("CREATE OR REPLACE MODEL MAIN.foo OPTIONS(model_type='linear_reg') AS SELECT * FROM t")
    cur.execute("SHOW MODELS")
    assert [(r[0], r[1], r[3]) for r in cur.fetchall()] == [("main", "Foo", 2)]


def test_bool_label_class_weights_use_sql_spelling(con):
    cur = con.cursor()
    cur.execute("CREATE TABLE t AS SELECT range::DOUBLE AS x, range % 3 = 0 AS label FROM range(60)")
    for weights in ("[STRUCT('true', 2.0), STRUCT('false', 1.0)]", "[STRUCT(TRUE, 2.0), STRUCT(FALSE, 1.0)]"):
        cur.execute(
            f"CREATE OR REPLACE MODEL b OPTIONS(model_type='logistic_reg', class_weights={weights}) AS SELECT * FROM t"
        )
    cur.execute("SELECT predicted_label FROM ML.PREDICT(MODEL b, TABLE t) LIMIT 1")
    assert isinstance(cur.fetchone()[0], bool)


def test_cached_models_follow_replace_drop_and_versions(con):
    """Each prediction comes from the version asked for, although the connection caches loaded models."""
    cur = con.cursor()
    cur.execute(
        "CREATE TABLE t AS SELECT range::DOUBLE AS x, range * 1.0 AS a, range * 2.0 AS b, "
        "range * 3.0 AS c FROM range(20)"
    )
    predict = "SELECT round(predicted_label, 6) FROM ML.PREDICT(MODEL m{}, (SELECT 5.0 AS x))"
    cur.execute("CREATE MODEL m OPTIONS(model_type='linear_reg') AS SELECT x, a AS label FROM t")
    assert cur.execute(predict.format("")).fetchall() == [(5.0,)]
    cur.execute("CREATE OR REPLACE MODEL m OPTIONS(model_type='linear_reg') AS SELECT x, b AS label FROM t")
    assert cur.execute(predict.format("")).fetchall() == [(10.0,)]
    assert cur.execute(predict.format(" VERSION 1")).fetchall() == [(5.0,)]
    cur.execute("DROP MODEL m")
    cur.execute("CREATE MODEL m OPTIONS(model_type='linear_reg') AS SELECT x, c AS label FROM t")
    assert cur.execute(predict.format(" VERSION 1")).fetchall() == [(15.0,)]  # the new model's version 1
    import sqlml

    with pytest.raises(sqlml.ProgrammingError, match="has no version 7"):
        cur.execute(predict.format(" VERSION 7"))


def test_feature_info_describes_the_training_rows(loaded, frames):
    """min, max, mean, median, sample stddev and NULL count of numbers, distinct categories and NULLs of
    categories, against pandas on the training rows (NO_SPLIT: all of them)."""
    train, _ = frames
    cur = loaded.cursor()
    cur.execute(
        "CREATE MODEL fi OPTIONS(model_type='linear_reg', input_label_cols=['y_reg'], "
        "data_split_method='NO_SPLIT') AS SELECT x1, x2, color, flag, y_reg FROM train"
    )
    cur.execute("SELECT * FROM ML.FEATURE_INFO(MODEL fi)")
    columns = [d[0] for d in cur.description]
    rows = {r[0]: dict(zip(columns, r)) for r in cur.fetchall()}
    assert columns == ["input", "min", "max", "mean", "median", "stddev", "category_count", "null_count", "dimension"]
    for name in ("x1", "x2"):
        values = train[name]
        expected = {
            "min": values.min(),
            "max": values.max(),
            "mean": values.mean(),
            "median": values.median(),
            "stddev": values.std(),
        }
        for stat, value in expected.items():
            assert rows[name][stat] == pytest.approx(value, rel=1e-12), (name, stat)
        assert rows[name]["null_count"] == values.isna().sum() and rows[name]["category_count"] is None
    assert rows["color"]["category_count"] == train["color"].nunique() and rows["color"]["min"] is None
    assert rows["color"]["null_count"] == train["color"].isna().sum() > 0
    assert rows["flag"]["category_count"] == 2 and rows["flag"]["null_count"] == 0

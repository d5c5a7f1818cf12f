"""Bad and awkward data: empty strings vs NULL, huge vocabularies, all-NULL columns, wide tables, no rows."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sklearn.linear_model import LinearRegression

import sqlml


def _features(cur, model: str) -> list[dict]:
    cur.execute("SELECT features FROM sqlml.model_versions WHERE model_name = ?", [model])
    return json.loads(cur.fetchone()[0])


def test_empty_string_and_null_are_different_categories(con):
    cur = con.cursor()
    cur.execute(
        "CREATE TABLE t AS SELECT ['', NULL, 'a'][range % 3 + 1] AS c, "
        "[10.0, 20.0, 30.0][range % 3 + 1] AS label FROM range(90)"
    )
    cur.execute("CREATE MODEL m OPTIONS(model_type='linear_reg') AS SELECT * FROM t")
    spec = _features(cur, "m")[0]
    assert (spec["vocabulary"], spec["has_null"]) == (["", "a"], True)
    cur.execute("SELECT round(predicted_label, 6) FROM ML.PREDICT(MODEL m, (SELECT unnest(['', NULL, 'a']) AS c))")
    assert [r[0] for r in cur.fetchall()] == [10.0, 20.0, 30.0]  # each category keeps its own value


@pytest.mark.parametrize("model_type", ["linear_reg", "boosted_tree_regressor"])
def test_vocabulary_keeps_the_1000_most_frequent_categories(con, model_type):
    cur = con.cursor()
    # 1,500 categories: c0..c999 appear 3 times, c1000..c1499 once
    cur.execute(
        "CREATE TABLE t AS SELECT 'c' || (CASE WHEN i < 3000 THEN i % 1000 ELSE i - 2000 END) AS c, "
        "(i % 7)::DOUBLE AS label FROM range(3500) r(i)"
    )
    cur.execute(f"CREATE MODEL m OPTIONS(model_type='{model_type}', data_split_method='NO_SPLIT') AS SELECT * FROM t")
    vocabulary = _features(cur, "m")[0]["vocabulary"]
    assert len(vocabulary) == 1000 and set(vocabulary) == {f"c{i}" for i in range(1000)}
    cur.execute(
        "SELECT c, predicted_label FROM ML.PREDICT(MODEL m, (SELECT unnest(['c1200', 'never seen', 'c5']) AS c))"
    )
    rare, unseen, kept = cur.fetchall()
    assert rare[1] == unseen[1]  # a category cut from the vocabulary is treated as unseen


def test_typed_all_null_columns_train_and_untyped_null_is_refused(con):
    cur = con.cursor()
    cur.execute(
        "CREATE TABLE t AS SELECT range::DOUBLE AS x, NULL::DOUBLE AS empty_number, "
        "NULL::VARCHAR AS empty_text, 3.0 * range AS label FROM range(50)"
    )
    for model_type in ("linear_reg", "boosted_tree_regressor", "random_forest_regressor"):
        cur.execute(f"CREATE OR REPLACE MODEL m OPTIONS(model_type='{model_type}') AS SELECT * FROM t")
        cur.execute("SELECT count(predicted_label) FROM ML.PREDICT(MODEL m, TABLE t)")
        assert cur.fetchone() == (50,)
    with pytest.raises(sqlml.NotSupportedError, match="column 'nothing' has no type"):
        cur.execute("CREATE MODEL u OPTIONS(model_type='linear_reg') AS SELECT x, NULL AS nothing, label FROM t")


def test_a_table_of_1000_feature_columns(con, tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1500, 1000))
    y = X @ rng.normal(size=1000) + 5
    columns = {f"f{i}": X[:, i] for i in range(1000)}
    pq.write_table(pa.table({**columns, "label": y}), tmp_path / "wide.parquet")
    cur = con.cursor()
    cur.execute(f"CREATE TABLE t AS SELECT * FROM read_parquet('{tmp_path / 'wide.parquet'}')")
    cur.execute("CREATE MODEL wide OPTIONS(model_type='linear_reg', data_split_method='NO_SPLIT') AS SELECT * FROM t")
    cur.execute("SELECT predicted_label FROM ML.PREDICT(MODEL wide, TABLE t) LIMIT 5")
    expected = LinearRegression().fit(X, y).predict(X[:5])
    np.testing.assert_allclose([r[0] for r in cur.fetchall()], expected, rtol=1e-6, atol=1e-6)
    cur.execute(
        "CREATE MODEL wide_trees OPTIONS(model_type='boosted_tree_regressor', max_iterations=5) AS SELECT * FROM t"
    )
    cur.execute("SELECT count(predicted_label) FROM ML.PREDICT(MODEL wide_trees, TABLE t)")
    assert cur.fetchone() == (1500,)


@pytest.mark.parametrize("model_type", ["logistic_reg", "boosted_tree_classifier"])  # compiled and streamed
def test_zero_input_rows_give_zero_rows_with_the_full_schema(con, model_type):
    cur = con.cursor()
    cur.execute(
        "CREATE TABLE t AS SELECT range::DOUBLE AS x, ['a', 'b'][range % 2 + 1] AS c, "
        "range % 3 = 0 AS label FROM range(60)"
    )
    cur.execute(f"CREATE MODEL m OPTIONS(model_type='{model_type}') AS SELECT * FROM t")
    cur.execute("SELECT * FROM ML.PREDICT(MODEL m, (SELECT * FROM t WHERE false))")
    assert cur.fetchall() == []
    assert [(d[0], str(d[1])) for d in cur.description] == [
        ("predicted_label", "BOOLEAN"),
        ("predicted_label_probs", 'STRUCT("label" BOOLEAN, prob DOUBLE)[]'),
        ("x", "DOUBLE"),
        ("c", "VARCHAR"),
        ("label", "BOOLEAN"),
    ]
    with pytest.raises(sqlml.DataError, match="no rows"):
        cur.execute("SELECT * FROM ML.EVALUATE(MODEL m, (SELECT * FROM t WHERE false))")


def test_streamed_batches_hold_about_64_mib_of_features_whatever_the_width():
    from sqlml.engine.context import batch_rows

    assert batch_rows(20) == 419_430  # 64 MiB / (8 bytes * 20 features)
    assert batch_rows(1000) == 8_388  # a wide model gets short batches
    assert (batch_rows(1), batch_rows(100_000)) == (524_288, 2_048)  # clamped

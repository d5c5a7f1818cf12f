"""Linear models score in SQL (engine/compiled/linear.py): the same rows, columns and values as the streaming
path, which is itself checked against scikit-learn in test_reference.py."""

from __future__ import annotations

import numpy as np
import pytest

import sqlml

# A nested ML function in the input makes ML.PREDICT stream through Python: the reference path here.
STREAMED = "(SELECT * EXCLUDE (predicted_y_reg) FROM ML.PREDICT(MODEL anchor, TABLE test))"


@pytest.fixture
def models(loaded):
    cur = loaded.cursor()
    cur.execute(
        "CREATE MODEL anchor OPTIONS(model_type='linear_reg', input_label_cols=['y_reg']) "
        "AS SELECT x1, y_reg FROM train"
    )
    for name, label, options in [
        ("reg", "y_reg", "model_type='linear_reg', l2_reg=1.0"),
        ("bin", "y_bin", "model_type='logistic_reg'"),
        ("multi", "y_multi", "model_type='logistic_reg', max_iterations=100"),
    ]:
        cur.execute(
            f"CREATE MODEL {name} OPTIONS({options}, input_label_cols=['{label}']) "
            f"AS SELECT x1, x2, color, flag, {label} FROM train"
        )
    return loaded


def _predict(con, sql):
    cur = con.cursor()
    cur.execute(sql)
    return [d[0] for d in cur.description], cur.fetchall(), cur._cursor._views


@pytest.mark.parametrize(
    "model, extra", [("reg", ""), ("bin", ""), ("bin", ", STRUCT(0.8 AS threshold)"), ("multi", "")]
)
def test_compiled_sql_equals_the_streaming_path(models, model, extra):
    compiled_cols, compiled, views = _predict(
        models, f"SELECT * FROM ML.PREDICT(MODEL {model}, TABLE test{extra}) ORDER BY id"
    )
    assert views == []  # scored by DuckDB itself: no Arrow relation was registered
    streamed_cols, streamed, views = _predict(
        models, f"SELECT * FROM ML.PREDICT(MODEL {model}, {STREAMED}{extra}) ORDER BY id"
    )
    assert views  # the reference went through Python
    assert compiled_cols == streamed_cols
    for a, b in zip(compiled, streamed):  # the prediction columns, then the input's
        assert a[2:] == b[2:] if model != "reg" else a[1:] == b[1:]
        if model == "reg":
            assert a[0] == pytest.approx(b[0], rel=1e-12, abs=1e-12)
        else:
            assert a[0] == b[0]  # predicted label
            assert [e["label"] for e in a[1]] == [e["label"] for e in b[1]]
            np.testing.assert_allclose([e["prob"] for e in a[1]], [e["prob"] for e in b[1]], rtol=1e-12, atol=1e-15)


def test_compiled_sql_reports_nan_like_the_streaming_path(models):
    with pytest.raises(sqlml.DataError, match="column 'x2' has NaN or infinite"):
        models.cursor().execute(
            "SELECT count(*) FILTER (predicted_y_bin = 'yes') FROM ML.PREDICT(MODEL bin, "
            "(SELECT x1, CASE WHEN id = 7 THEN 'inf'::DOUBLE ELSE x2 END AS x2, color, flag FROM test))"
        )


def test_types_sql_cannot_score_identically_fall_back_to_streaming(con):
    cur = con.cursor()
    cur.execute(
        "CREATE TABLE t AS SELECT range::DOUBLE AS x, TIME '10:00:00' + INTERVAL (range % 3) HOUR AS tm, "
        "2.0 * range + (range % 3) AS label FROM range(60)"
    )
    cur.execute("CREATE MODEL m OPTIONS(model_type='linear_reg') AS SELECT * FROM t")
    columns, rows, views = _predict(con, "SELECT max(abs(predicted_label - label)) FROM ML.PREDICT(MODEL m, TABLE t)")
    assert views and rows[0][0] < 1e-9  # a TIME category streamed, and the fit is exact

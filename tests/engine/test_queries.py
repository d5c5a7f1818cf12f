"""ML.PREDICT / ML.EVALUATE composed into ordinary DuckDB queries.

The baseline is `SELECT id, predicted_y_reg FROM ML.PREDICT(MODEL m, TABLE test)` (itself checked against
scikit-learn in test_reference.py); every composed query is compared with the same computation done in
pandas on that baseline.
"""

from __future__ import annotations

import pandas as pd
import pytest


@pytest.fixture
def model(loaded):
    cur = loaded.cursor()
    cur.execute(
        "CREATE MODEL m OPTIONS(model_type='linear_reg', input_label_cols=['y_reg']) "
        "AS SELECT x1, x2, color, flag, y_reg FROM train"
    )
    cur.execute("SELECT id, color, predicted_y_reg FROM ML.PREDICT(MODEL m, TABLE test)")
    baseline = pd.DataFrame(cur.fetchall(), columns=["id", "color", "p"]).set_index("id")
    return loaded, baseline


def _rows(con, sql, params=None):
    cur = con.cursor()
    cur.execute(sql, params)
    return cur.fetchall()


def test_predictions_then_the_input_columns_passing_through(model):
    """As BigQuery ML: the prediction columns come first."""
    con, _ = model
    cur = con.cursor()
    cur.execute("SELECT * FROM ML.PREDICT(MODEL m, TABLE test) LIMIT 1")
    assert [d[0] for d in cur.description] == [
        "predicted_y_reg",
        "id",
        "x1",
        "x2",
        "color",
        "flag",
        "y_reg",
        "y_bin",
        "y_multi",
    ]


def test_where_order_by_limit(model):
    con, base = model
    got = _rows(
        con,
        "SELECT id, predicted_y_reg FROM ML.PREDICT(MODEL m, TABLE test) "
        "WHERE predicted_y_reg > 1 ORDER BY predicted_y_reg DESC LIMIT 7",
    )
    expected = base[base.p > 1].sort_values("p", ascending=False).head(7)
    assert [r[0] for r in got] == list(expected.index)


def test_group_by(model):
    con, base = model
    got = dict(
        _rows(
            con,
            "SELECT coalesce(color, 'none'), avg(predicted_y_reg) FROM ML.PREDICT(MODEL m, TABLE test) GROUP BY ALL",
        )
    )
    expected = base.fillna({"color": "none"}).groupby("color").p.mean()
    assert got == pytest.approx(expected.to_dict())


def test_inside_cte_and_join(model):
    con, base = model
    got = _rows(
        con,
        "WITH p AS (SELECT id, predicted_y_reg FROM ML.PREDICT(MODEL m, TABLE test) AS pred) "
        "SELECT t.id, p.predicted_y_reg - t.y_reg FROM test t JOIN p ON p.id = t.id "
        "WHERE t.id < 10 ORDER BY t.id",
    )
    cur = con.cursor()
    cur.execute("SELECT id, y_reg FROM test WHERE id < 10 ORDER BY id")
    truth = dict(cur.fetchall())
    assert [r[0] for r in got] == list(range(10))
    assert [r[1] for r in got] == pytest.approx([base.p[i] - truth[i] for i in range(10)])


def test_subquery_input_and_scalar_subquery(model):
    con, base = model
    got = _rows(
        con,
        "SELECT count(*), sum(predicted_y_reg) FROM ML.PREDICT(MODEL m, "
        "(SELECT * FROM test WHERE color = 'red' AND id % 2 = 0))",
    )
    picked = base[(base.color == "red") & (base.index % 2 == 0)]
    assert got[0] == pytest.approx((len(picked), picked.p.sum()))
    (value,) = _rows(con, "SELECT (SELECT max(predicted_y_reg) FROM ML.PREDICT(MODEL m, TABLE test)) AS mx")[0]
    assert value == pytest.approx(base.p.max())


def test_two_calls_in_one_query_and_nested_input(model):
    con, base = model
    got = _rows(
        con,
        "SELECT a.id, a.predicted_y_reg, b.predicted_y_reg FROM ML.PREDICT(MODEL m, TABLE test) a "
        "JOIN ML.PREDICT(MODEL m, (SELECT * EXCLUDE (predicted_y_reg) FROM ML.PREDICT(MODEL m, "
        "TABLE test))) b USING (id) ORDER BY id LIMIT 3",
    )
    assert [r[0] for r in got] == [0, 1, 2]
    assert [v for r in got for v in r[1:]] == pytest.approx([base.p[i] for i in range(3) for _ in (0, 1)])


def test_create_table_as_and_insert_from_predict(model):
    con, base = model
    cur = con.cursor()
    cur.execute("CREATE TABLE scored AS SELECT id, predicted_y_reg FROM ML.PREDICT(MODEL m, TABLE test)")
    cur.execute("INSERT INTO scored SELECT id + 1000, predicted_y_reg FROM ML.PREDICT(MODEL m, TABLE test)")
    ((count, total),) = _rows(con, "SELECT count(*), sum(predicted_y_reg) FROM scored")
    assert (count, total) == pytest.approx((400, 2 * base.p.sum()))


def test_parameters_bind_into_ml_statements(model):
    con, base = model
    got = _rows(
        con,
        "SELECT count(*) FROM ML.PREDICT(MODEL m, (SELECT * FROM test WHERE id < ?)) WHERE predicted_y_reg > ?",
        [50, 0.5],
    )
    assert got[0][0] == int(((base.index < 50) & (base.p > 0.5)).sum())


def test_evaluate_joins_like_a_table(model):
    con, _ = model
    got = _rows(
        con, "SELECT e.r2_score > 0.8, s.n FROM ML.EVALUATE(MODEL m, TABLE test) e, (SELECT count(*) AS n FROM test) s"
    )
    assert got == [(True, 200)]


def test_predict_on_a_table_in_another_schema_with_quoted_names(loaded):
    cur = loaded.cursor()
    cur.execute('CREATE SCHEMA lab; CREATE TABLE lab."Cars Table" AS SELECT * FROM train')
    cur.execute(
        'CREATE MODEL lab."My Model" OPTIONS(model_type="linear_reg", input_label_cols=["y_reg"]) '
        'AS SELECT x1, y_reg FROM lab."Cars Table"'
    )
    cur.execute('SELECT count(*) FROM ML.PREDICT(MODEL `lab`.`My Model`, TABLE lab."Cars Table")')
    assert cur.fetchone() == (600,)


def test_create_model_trains_on_another_models_predictions_inside_a_transaction(model):
    con, base = model
    cur = con.cursor()
    cur.execute("BEGIN")
    cur.execute("CREATE TABLE fresh AS SELECT id, y_reg * 2 AS target FROM test")  # uncommitted
    # the CREATE MODEL query runs on this cursor and sees `fresh`; the ML.PREDICT input reads committed data
    cur.execute(
        "CREATE MODEL stacked OPTIONS(model_type='linear_reg', input_label_cols=['target'], "
        "data_split_method='NO_SPLIT') AS SELECT p.predicted_y_reg AS p, f.target "
        "FROM ML.PREDICT(MODEL m, TABLE test) p JOIN fresh f USING (id)"
    )
    cur.execute("COMMIT")
    cur.execute("SELECT features FROM sqlml.model_versions WHERE model_name = 'stacked'")
    assert '"name": "p"' in cur.fetchone()[0]
    cur.execute("SELECT count(*) FROM ML.PREDICT(MODEL stacked, (SELECT 1.0 AS p))")
    assert cur.fetchone() == (1,)


def test_pivot_scans_predictions_twice(model):
    con, base = model
    got = _rows(
        con,
        "SELECT * FROM (PIVOT (SELECT coalesce(color, 'none') AS color, predicted_y_reg > 0 AS positive "
        "FROM ML.PREDICT(MODEL m, TABLE test)) ON positive USING count(*)) ORDER BY color",
    )
    expected = base.assign(color=base.color.fillna("none"), positive=base.p > 0)
    counts = expected.groupby(["color", "positive"]).size().unstack(fill_value=0)
    assert got == [(color, int(row[False]), int(row[True])) for color, row in counts.iterrows()]


def test_views_over_ml_functions_are_refused(model):
    con, _ = model
    import sqlml

    with pytest.raises(sqlml.NotSupportedError, match="CREATE VIEW"):
        con.cursor().execute("CREATE VIEW v AS SELECT * FROM ML.PREDICT(MODEL m, TABLE test)")
    assert _rows(con, "SELECT count(*) FROM duckdb_views() WHERE view_name = 'v'") == [(0,)]

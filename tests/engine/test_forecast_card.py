"""ML.MODEL_CARD and DESCRIBE MODEL of a forecasting model: what they show is read back from the Markdown, the
HTML's SVG and DESCRIBE's JSON, and compared with the raw table, ML.ARIMA_EVALUATE, ML.FORECAST and
ML.EXPLAIN_FORECAST (numpy computing the in-sample errors from its residuals). DESCRIBE MODEL's arima_result
uses the field names of BigQuery's REST Model resource (ArimaResult, ArimaModelInfo:
https://cloud.google.com/bigquery/docs/reference/rest/v2/models)."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

import sqlml

HORIZON = 6
SALES = """CREATE TABLE sales AS
SELECT s AS store, (DATE '2020-01-01' + INTERVAL (i) MONTH)::DATE AS month,
       100 + 10 * (s = 'b')::INT + i + 15 * sin(2 * pi() * i / 12) + 3 * sin(i * 7.3 + (s = 'b')::INT) AS amount
FROM range(48) r(i), (VALUES ('a'), ('b')) v(s)
UNION ALL SELECT 'c', DATE '2020-01-01', 5"""  # store c: one month, too short to fit


@pytest.fixture(scope="module")
def con():
    connection = sqlml.connect()
    cur = connection.cursor()
    cur.execute(SALES)
    cur.execute(
        "CREATE MODEL stores OPTIONS(model_type='ARIMA_PLUS', time_series_timestamp_col='month', "
        f"time_series_data_col='amount', time_series_id_col='store', horizon={HORIZON}) AS SELECT * FROM sales"
    )
    yield connection
    connection.close()


def _rows(con, sql) -> list[dict]:
    cur = con.cursor()
    cur.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def _section(card: str, title: str) -> str:
    return card.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def _table(text: str) -> list[dict]:
    """The first Markdown table of `text` (cells without backslash escapes)."""
    lines = [block for block in text.split("\n\n") if block.startswith("|")][0].splitlines()
    cells = [[c.strip().replace("\\", "") for c in line.strip()[1:-1].split(" | ")] for line in lines]
    return [dict(zip(cells[0], row)) for row in cells[2:]]


def _points(svg: str, name: str) -> np.ndarray:
    """The (x, y) points of the polyline named `name` (drawn in data units: y is the value itself)."""
    (points,) = re.findall(rf'<polyline class="line" data-name="{name}" points="([^"]*)"', svg)
    return np.array([[float(v) for v in p.split(",")] for p in points.split()])


def test_the_markdown_card_shows_each_series_arima_and_its_in_sample_errors(con):
    card = _rows(con, "SELECT * FROM ML.MODEL_CARD(MODEL stores)")[0]["model_card"]
    evaluated = _rows(con, "SELECT * FROM ML.ARIMA_EVALUATE(MODEL stores) ORDER BY store")
    (stores,) = _rows(con, "SELECT count(DISTINCT store) AS n FROM sales")
    failed = [r for r in evaluated if r["error_message"] is not None]
    assert len(evaluated) == stores["n"] == 3 and len(failed) == 1
    assert f"Series: 3 ({3 - len(failed)} fitted, {len(failed)} failed)." in _section(card, "Specification")
    metrics = _section(card, "Metrics")
    shown = _table(metrics)
    assert [r["store"] for r in shown] == ["a", "b"]
    (described,) = _rows(con, "DESCRIBE MODEL stores")
    scales = [info.get("intervalScale") for info in json.loads(described["arima_result"])["arimaModelInfo"]]
    for row, expected, scale in zip(shown, evaluated, scales):
        assert float(row["interval_scale"]) == pytest.approx(scale, rel=1e-5) and scale >= 1.0
        for column in ("non_seasonal_p", "non_seasonal_d", "non_seasonal_q"):
            assert int(row[column]) == expected[column]
        assert float(row["AIC"]) == pytest.approx(expected["AIC"], rel=1e-5)  # the card shows 6 digits
        residual = np.array(
            [
                r["residual"]
                for r in _rows(
                    con,
                    "SELECT residual FROM ML.EXPLAIN_FORECAST(MODEL stores) WHERE time_series_type = 'history' "
                    f"AND store = '{row['store']}'",
                )
            ]
        )
        assert float(row["in_sample_rmse"]) == pytest.approx(np.sqrt(np.mean(residual**2)), rel=1e-5)
        assert float(row["in_sample_mae"]) == pytest.approx(np.mean(np.abs(residual)), rel=1e-5)
    assert f"- {failed[0]['error_message']}" in metrics.replace("\\", "")  # Markdown's escapes dropped
    assert "store = 'c'" in failed[0]["error_message"]
    forecast = _table(_section(card, "Forecast"))
    expected = _rows(con, f"SELECT * FROM ML.FORECAST(MODEL stores, STRUCT({HORIZON} AS horizon)) WHERE store = 'a'")
    assert [float(r["forecast_value"]) for r in forecast] == pytest.approx(
        [r["forecast_value"] for r in expected], rel=1e-5
    )


def test_the_html_card_plots_the_first_series_history_forecast_and_decomposition(con):
    page = _rows(con, "SELECT * FROM ML.MODEL_CARD(MODEL stores, STRUCT('html' AS format))")[0]["model_card"]
    history = [r["amount"] for r in _rows(con, "SELECT amount FROM sales WHERE store = 'a' ORDER BY month")]
    ahead = _rows(
        con,
        f"SELECT * FROM ML.FORECAST(MODEL stores, STRUCT({HORIZON} AS horizon, 0.95 AS confidence_level)) "
        "WHERE store = 'a' ORDER BY forecast_timestamp",
    )
    drawn = _points(page, "history")
    assert drawn[:, 0].tolist() == list(range(len(history)))
    np.testing.assert_allclose(drawn[:, 1], history, rtol=1e-5)
    drawn = _points(page, "forecast")
    assert len(drawn) + len(history) == len(history) + HORIZON == 54
    assert drawn[:, 0].tolist() == list(range(len(history), len(history) + HORIZON))
    np.testing.assert_allclose(drawn[:, 1], [r["forecast_value"] for r in ahead], rtol=1e-5)
    (band,) = re.findall(r'<polygon class="band" points="([^"]*)"', page)
    upper = [float(p.split(",")[1]) for p in band.split()[:HORIZON]]
    np.testing.assert_allclose(upper, [r["prediction_interval_upper_bound"] for r in ahead], rtol=1e-5)
    explained = _rows(
        con,
        f"SELECT * FROM ML.EXPLAIN_FORECAST(MODEL stores, STRUCT({HORIZON} AS horizon)) WHERE store = 'a' "
        "ORDER BY time_series_timestamp",
    )
    trend = _points(page, "trend")
    assert len(trend) == len(history) + HORIZON
    np.testing.assert_allclose(trend[:, 1], [r["trend"] for r in explained], rtol=1e-5)
    assert len(_points(page, "residual")) == len(history)  # a residual in the history only
    assert len(_points(page, "seasonal")) == len(history) + HORIZON


def test_a_forecasting_card_refuses_a_sensitive_feature(con):
    with pytest.raises(sqlml.NotSupportedError, match="sensitive_feature"):
        con.cursor().execute(
            "SELECT * FROM ML.MODEL_CARD(MODEL stores, TABLE sales, STRUCT('store' AS sensitive_feature))"
        )


def test_describe_model_summarizes_the_fitted_series(con):
    (described,) = _rows(con, "DESCRIBE MODEL stores")
    options = json.loads(described["options"])
    assert (options["horizon"], options["time_series_id_col"]) == (HORIZON, ["store"])
    result = json.loads(described["arima_result"])
    evaluated = _rows(con, "SELECT * FROM ML.ARIMA_EVALUATE(MODEL stores) ORDER BY store")
    assert (result["seriesCount"], result["seriesFailed"]) == (3, 1)
    assert result["seasonalPeriods"] == ["YEARLY"]  # the sales' 12-month sine
    for info, row in zip(result["arimaModelInfo"], evaluated):
        assert info["timeSeriesIds"] == {"store": row["store"]}
        if row["error_message"] is not None:
            assert info == {"timeSeriesIds": {"store": "c"}, "errorMessage": row["error_message"]}
            continue
        order = info["nonSeasonalOrder"]
        assert (order["p"], order["d"], order["q"]) == (
            row["non_seasonal_p"],
            row["non_seasonal_d"],
            row["non_seasonal_q"],
        )
        assert info["arimaFittingMetrics"]["aic"] == pytest.approx(row["AIC"])
        assert (info["hasDrift"], info["seasonalPeriods"]) == (row["has_drift"], row["seasonal_periods"])


def test_describe_model_of_another_model_has_no_arima_result(con):
    cur = con.cursor()
    cur.execute("CREATE MODEL amounts OPTIONS(model_type='linear_reg', input_label_cols=['amount']) AS FROM sales")
    (described,) = _rows(con, "DESCRIBE MODEL amounts")
    assert described["arima_result"] is None and described["model_type"] == "linear_reg"


def test_an_xreg_card_shows_its_series_but_no_forecast_without_the_regressors(con):
    cur = con.cursor()
    cur.execute(
        "CREATE MODEL store_a_xreg OPTIONS(model_type='ARIMA_PLUS_XREG', time_series_timestamp_col='month', "
        "time_series_data_col='amount', horizon=3) AS SELECT month, amount, month(month) * 1.5 AS price "
        "FROM sales WHERE store = 'a'"
    )
    page = _rows(con, "SELECT * FROM ML.MODEL_CARD(MODEL store_a_xreg, STRUCT('html' AS format))")[0]["model_card"]
    (evaluated,) = _rows(con, "SELECT * FROM ML.ARIMA_EVALUATE(MODEL store_a_xreg)")
    assert "Series: 1 (1 fitted, 0 failed)." in page and "external regressors price" in page
    order = re.search(r"<tbody><tr><td>(\d)</td><td>(\d)</td><td>(\d)</td>", page).groups()
    assert tuple(map(int, order)) == (
        evaluated["non_seasonal_p"],
        evaluated["non_seasonal_d"],
        evaluated["non_seasonal_q"],
    )
    assert "needs the regressors&#x27; future values" in page and "<polyline" not in page

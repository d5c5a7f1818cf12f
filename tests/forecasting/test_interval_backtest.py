"""interval_backtest_windows (sqlml's, beyond BigQuery ML): the pipeline is refitted without its last windows,
each forecast against the data it left out, and the intervals widen by the root mean square of those errors over
their standard errors (never narrow). The reference below is MSTL and ARIMA from statsforecast, called directly.
https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-forecast
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.forecasting import series_data as sd

N, H = 140, 10
PLAIN = "clean_spikes_and_dips=FALSE, adjust_step_changes=FALSE"


def _weekly(last_noise: float) -> np.ndarray:
    """A daily series: an AR(1) level (innovations of sd 1, then `last_noise` over the last two windows), a weekly
    pattern and a little noise. Louder last windows err more than the ARIMA fitted on the whole expects; quieter
    ones less."""
    rng = np.random.default_rng(12)
    sd_level = np.where(np.arange(N) < N - 2 * H, 1.0, last_noise)
    level = np.zeros(N)
    for t in range(1, N):
        level[t] = 0.7 * level[t - 1] + rng.normal(0, sd_level[t])
    pattern = 5.0 * np.array([0.0, 1.0, 2.0, 1.5, 0.5, -2.5, -2.5])
    return 100 + level + pattern[np.arange(N) % 7] + rng.normal(0, 0.3, N)


def _seasonal_forecast(y: np.ndarray, order: tuple | None, drift: bool, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """MSTL (weekly) then the ARIMA (auto-ARIMA's, or the given order) of what it leaves: the forecast of `steps`
    steps and its standard error (the ARIMA's plus the weekly component's week-to-week variance per week ahead)."""
    seasonal = sd.mstl(y, [7])["seasonal"].to_numpy()
    model = sd.auto_arima(y - seasonal) if order is None else sd.fixed_arima(y - seasonal, order, drift)
    forecast = sd.arima_forecast(model, steps, 0.9)
    weeks_ahead = np.ceil(np.arange(1, steps + 1) / 7)
    se = np.sqrt(forecast["se"] ** 2 + weeks_ahead * np.var(seasonal[7:] - seasonal[:-7]))
    return forecast["mean"] + seasonal[len(y) - 7 + np.arange(steps) % 7], se


def _reference_scale(y: np.ndarray, windows: int) -> float:
    """The whole series' ARIMA order, refitted with MSTL on all but the last w * H days (w = 1 .. windows), each
    forecast H days; max(1, root mean square of error / standard error)."""
    whole = sd.auto_arima(y - sd.mstl(y, [7])["seasonal"].to_numpy())
    order = (whole["arma"][0], whole["arma"][5], whole["arma"][1])
    standardized = []
    for w in range(1, windows + 1):
        cut = len(y) - w * H
        mean, se = _seasonal_forecast(y[:cut], order, "drift" in whole["coef"], H)
        standardized.append((y[cut : cut + H] - mean) / se)
    return max(1.0, float(np.sqrt(np.mean(np.concatenate(standardized) ** 2))))


def _standard_error(tmp_path, y: np.ndarray, options: str) -> np.ndarray:
    return _forecast_and_scale(tmp_path, y, options)[0]


def _forecast_and_scale(tmp_path, y: np.ndarray, options: str) -> tuple[np.ndarray, float]:
    """ML.FORECAST's standard errors, and the interval scale DESCRIBE MODEL reports (arima_result)."""
    cur = sd.daily_model(tmp_path, y, f"{PLAIN}, horizon={H}, {options}")
    se = sd.query(cur, f"SELECT standard_error FROM ML.FORECAST(MODEL m, STRUCT({H} AS horizon)) ORDER BY 1")
    (described,) = sd.query(cur, "DESCRIBE MODEL m")["arima_result"]
    return se["standard_error"], json.loads(described)["arimaModelInfo"][0]["intervalScale"]


@pytest.mark.parametrize("windows", [2, 3])
def test_intervals_widen_by_the_held_out_errors(tmp_path, windows):
    y = _weekly(last_noise=3.0)
    _, parametric = _seasonal_forecast(y, None, False, H)
    scale = _reference_scale(y, windows)
    assert scale > 1.2  # the louder end is what the ARIMA alone under-states
    got, reported = _forecast_and_scale(tmp_path, y, f"interval_backtest_windows={windows}")
    np.testing.assert_allclose(got, parametric * scale, rtol=1e-7)
    assert reported == pytest.approx(scale, rel=1e-7)


def test_default_is_two_windows_and_zero_is_the_arima_alone(tmp_path):
    y = _weekly(last_noise=3.0)
    (tmp_path / "default").mkdir()
    (tmp_path / "none").mkdir()
    default = _standard_error(tmp_path / "default", y, "data_frequency='DAILY'")
    alone = _standard_error(tmp_path / "none", y, "interval_backtest_windows=0")
    _, parametric = _seasonal_forecast(y, None, False, H)
    np.testing.assert_allclose(alone, parametric, rtol=1e-7)
    np.testing.assert_allclose(default, parametric * _reference_scale(y, 2), rtol=1e-7)


def test_intervals_never_narrow(tmp_path):
    """A well-behaved series whose held-out errors are smaller than its standard errors keeps the ARIMA's."""
    y = _weekly(last_noise=0.2)
    assert _reference_scale(y, 2) == 1.0
    (tmp_path / "default").mkdir()
    (tmp_path / "none").mkdir()
    default = _standard_error(tmp_path / "default", y, "interval_backtest_windows=2")
    alone = _standard_error(tmp_path / "none", y, "interval_backtest_windows=0")
    np.testing.assert_allclose(default, alone, rtol=1e-12)


def test_a_series_too_short_for_a_window_keeps_the_arima_intervals(tmp_path):
    """A window must leave at least 20 steps (and two windows' worth) to refit on: 24 days, horizon 6, do not."""
    y = sd.random_walk(24, 4)
    y[-6:] += 30  # a jump a window would see, had it room
    options = "seasonalities=['NO_SEASONALITY'], horizon=6"
    (tmp_path / "default").mkdir()
    (tmp_path / "none").mkdir()
    default = sd.daily_model(tmp_path / "default", y, f"{PLAIN}, {options}")
    alone = sd.daily_model(tmp_path / "none", y, f"{PLAIN}, {options}, interval_backtest_windows=0")
    sql = "SELECT standard_error FROM ML.FORECAST(MODEL m, STRUCT(6 AS horizon)) ORDER BY 1"
    np.testing.assert_array_equal(sd.query(default, sql)["standard_error"], sd.query(alone, sql)["standard_error"])


def test_a_model_stored_before_the_windows_reads_as_unwidened():
    """A stored table without interval_scale (nor log_scale, added before it) loads with 1.0 (and FALSE)."""
    from sqlml.engine.forecasting import state

    rows = state.rows_table([{"error_message": "a"}, {"error_message": "b"}])
    old = state.from_ipc(state.to_ipc(rows.drop_columns(["interval_scale", "log_scale"])))
    assert old.column("interval_scale").to_pylist() == [1.0, 1.0]
    assert old.column("log_scale").to_pylist() == [False, False]

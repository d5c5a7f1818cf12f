"""ML.EXPLAIN_FORECAST's decomposition: BigQuery ML's identities (history: time_series_data = trend +
seasonal_period_* + holiday_effect + spikes_and_dips + step_changes + residual; forecast: time_series_data =
trend + seasonal_period_* + holiday_effect, NULLs as 0:
https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-explain-forecast), and each
adjustment finding what was injected: a spike, a level shift, an effect on the US holidays of the holidays
package.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from tests.forecasting import series_data as sd

N = 3 * 365
SPIKE_AT, SHIFT_AT, SHIFT, HOLIDAY, SPIKE = 400, 700, 12.0, 8.0, 20.0


def _us_holidays(first, last) -> set:
    import holidays

    return {np.datetime64(d, "D") for d in holidays.country_holidays("US", years=range(first.year, last.year + 1))}


@pytest.fixture(scope="module")
def series():
    """Three years of daily data: a weekly pattern, noise of standard deviation 1, +HOLIDAY on US holidays, one
    +SPIKE point, a +SHIFT level shift."""
    rng = np.random.default_rng(16)
    d = sd.days(N, "2021-01-01")
    on_holiday = np.isin(d, list(_us_holidays(d[0].astype(dt.date), d[-1].astype(dt.date))))
    y = 50 + 3 * np.sin(2 * np.pi * np.arange(N) / 7) + rng.normal(0, 1, N) + HOLIDAY * on_holiday
    y[SPIKE_AT] += SPIKE
    y[SHIFT_AT:] += SHIFT
    assert not on_holiday[SPIKE_AT] and not on_holiday[SHIFT_AT - 3 : SHIFT_AT + 3].any()
    return d, y, on_holiday


@pytest.fixture(scope="module")
def explained(series, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("decomposition")
    d, y, _ = series
    cur = sd.connect(tmp_path)
    sd.load(cur, tmp_path, "t", {"d": d, "y": y})
    sd.create_model(cur, "m", "t", "horizon=30, holiday_region='US'")
    rows = sd.query(cur, "SELECT * FROM ML.EXPLAIN_FORECAST(MODEL m, STRUCT(30 AS horizon)) ORDER BY 1")
    evaluated = sd.query(cur, "SELECT * FROM ML.ARIMA_EVALUATE(MODEL m)")
    return rows, evaluated


def _parts(rows: dict, names: list[str]) -> np.ndarray:
    return sum(np.nan_to_num(rows[name]) for name in names)


SEASONALS = [f"seasonal_period_{s}" for s in ("yearly", "quarterly", "monthly", "weekly", "daily")]


def test_history_and_forecast_add_up(explained, series):
    rows, _ = explained
    history = rows["time_series_type"] == "history"
    assert history.sum() == N and (~history).sum() == 30
    np.testing.assert_allclose(rows["time_series_data"][history], series[1], rtol=1e-12)
    whole = ["trend", *SEASONALS, "holiday_effect", "spikes_and_dips", "step_changes", "residual"]
    np.testing.assert_allclose(_parts(rows, whole)[history], rows["time_series_data"][history], atol=1e-8)
    ahead = ["trend", *SEASONALS, "holiday_effect"]
    np.testing.assert_allclose(_parts(rows, ahead)[~history], rows["time_series_data"][~history], atol=1e-8)
    np.testing.assert_allclose(_parts(rows, ahead), rows["time_series_adjusted_data"], atol=1e-8)
    for name in ("spikes_and_dips", "step_changes", "residual"):
        assert np.isnan(rows[name][~history]).all()


def test_spike_found_at_its_step_only(explained):
    rows, evaluated = explained
    spikes = np.nan_to_num(rows["spikes_and_dips"])
    assert np.flatnonzero(spikes).tolist() == [SPIKE_AT]
    assert spikes[SPIKE_AT] == pytest.approx(SPIKE, abs=3)
    assert evaluated["has_spikes_and_dips"][0]


def test_step_change_found(explained):
    rows, evaluated = explained
    steps = np.nan_to_num(rows["step_changes"][:N])
    np.testing.assert_allclose(steps[:SHIFT_AT], -SHIFT, atol=1.0)
    np.testing.assert_array_equal(steps[SHIFT_AT:], 0.0)
    assert evaluated["has_step_changes"][0]


def test_holiday_effect_found(explained, series):
    rows, evaluated = explained
    _, _, on_holiday = series
    effect = np.nan_to_num(rows["holiday_effect"])
    history = effect[:N]
    np.testing.assert_allclose(history[on_holiday], HOLIDAY, atol=2.0)
    np.testing.assert_array_equal(history[~on_holiday], 0.0)
    future = rows["time_series_timestamp"][N:]
    future_holidays = _us_holidays(future[0].date(), future[-1].date())
    on_future = np.isin([np.datetime64(t.date(), "D") for t in future], list(future_holidays))
    assert on_future.any()  # the thirty days after 2023-12-31 hold New Year's Day and Martin Luther King Jr. Day
    np.testing.assert_allclose(effect[N:][on_future], HOLIDAY, atol=2.0)
    np.testing.assert_array_equal(effect[N:][~on_future], 0.0)
    assert evaluated["has_holiday_effect"][0]
    each = [name for name in rows if name.startswith("holiday_effect_")]  # one column per holiday, adding up
    assert "holiday_effect_Independence_Day" in each
    np.testing.assert_allclose(sum(np.nan_to_num(rows[name]) for name in each), effect, atol=1e-12)


def test_spike_stays_without_cleaning(tmp_path, series):
    d, y, _ = series
    cur = sd.connect(tmp_path)
    sd.load(cur, tmp_path, "t", {"d": d[:500], "y": y[:500]})
    sd.create_model(cur, "m", "t", "horizon=3, clean_spikes_and_dips=FALSE")
    rows = sd.query(cur, "SELECT * FROM ML.EXPLAIN_FORECAST(MODEL m) WHERE time_series_type = 'history' ORDER BY 1")
    assert np.nan_to_num(rows["spikes_and_dips"]).tolist() == [0.0] * 500
    assert rows["time_series_data"][SPIKE_AT] == y[SPIKE_AT]
    assert rows["residual"][SPIKE_AT] > SPIKE - 4  # the one-step fit did not see it coming: it is an error
    evaluated = sd.query(cur, "SELECT has_spikes_and_dips FROM ML.ARIMA_EVALUATE(MODEL m)")
    assert not evaluated["has_spikes_and_dips"][0]


def test_spikes_in_trending_series(tmp_path):
    """Random walks with drift: one point +20 innovation standard deviations is found at its step only, and the
    clean walks have no spikes or dips (a running median reproduces each point of a monotone stretch, which must
    not make ordinary points look like spikes)."""
    keys, d, y = [], [], []
    for seed in range(6):
        walk = sd.random_walk(120, 60 + seed)
        if seed < 3:
            walk[60] += 20.0
        keys += [f"s{seed}"] * 120
        d.append(sd.days(120))
        y.append(walk)
    cur = sd.connect(tmp_path)
    sd.load(cur, tmp_path, "t", {"k": np.array(keys), "d": np.concatenate(d), "y": np.concatenate(y)})
    cur.execute(
        "CREATE MODEL m OPTIONS(model_type='ARIMA_PLUS', time_series_id_col='k', time_series_timestamp_col='d', "
        "time_series_data_col='y', horizon=3) AS SELECT * FROM t"
    )
    rows = sd.query(cur, "SELECT * FROM ML.EXPLAIN_FORECAST(MODEL m) WHERE time_series_type = 'history' ORDER BY k, 2")
    for seed in range(6):
        spikes = np.nan_to_num(rows["spikes_and_dips"][rows["k"] == f"s{seed}"])
        assert np.flatnonzero(spikes).tolist() == ([60] if seed < 3 else []), seed
    evaluated = sd.query(cur, "SELECT has_spikes_and_dips, has_step_changes FROM ML.ARIMA_EVALUATE(MODEL m) ORDER BY k")
    assert evaluated["has_spikes_and_dips"].tolist() == [True] * 3 + [False] * 3
    assert not any(evaluated["has_step_changes"])


def test_few_holiday_effects_on_a_walk_without_them(tmp_path):
    """Three years of a drifting random walk, holiday_region='US': about none of the 16 US holidays shows an effect
    it does not have (the trend must not shrink the yardstick holidays are measured against)."""
    cur = sd.connect(tmp_path)
    sd.load(cur, tmp_path, "t", {"d": sd.days(N, "2021-01-01"), "y": sd.random_walk(N, 17)})
    sd.create_model(cur, "m", "t", "horizon=3, holiday_region='US'")
    rows = sd.query(cur, "SELECT * FROM ML.EXPLAIN_FORECAST(MODEL m) WHERE time_series_type = 'history'")
    found = [name for name in rows if name.startswith("holiday_effect_") and np.nan_to_num(rows[name]).any()]
    assert len(found) <= 2, found


@pytest.mark.parametrize("noise", [0.0, 0.01])
def test_a_straight_line_is_no_step_change(tmp_path, noise):
    """A trend's steady change per step is neither a step change nor a spike, however little noise there is, nor
    are its first and last points (the baselines mirror the ends): the default pipeline continues the line."""
    t = np.arange(60)
    y = 3 + 0.5 * t + np.random.default_rng(3).normal(0, noise, 60)
    cur = sd.daily_model(tmp_path, y, "horizon=3")
    evaluated = sd.query(cur, "SELECT has_step_changes, has_spikes_and_dips FROM ML.ARIMA_EVALUATE(MODEL m)")
    assert not evaluated["has_step_changes"][0] and not evaluated["has_spikes_and_dips"][0]
    got = sd.query(cur, "SELECT forecast_value FROM ML.FORECAST(MODEL m) ORDER BY 1")
    np.testing.assert_allclose(np.sort(got["forecast_value"]), 3 + 0.5 * np.arange(60, 63), atol=0.05)


def test_a_cycle_peak_is_no_spike(tmp_path):
    """A peak three points wide, its neighbours high too (lynx-like cycles), is the series' shape: no spike, no
    dip; the same height on one isolated point is one."""
    y = 100 + 0.1 * np.random.default_rng(4).normal(size=120)
    y[60:63] += [15, 25, 15]  # a peak
    cur = sd.daily_model(tmp_path, y, "seasonalities=['NO_SEASONALITY'], adjust_step_changes=FALSE")
    rows = sd.query(cur, "SELECT spikes_and_dips FROM ML.EXPLAIN_FORECAST(MODEL m) WHERE time_series_type = 'history'")
    assert not np.nan_to_num(rows["spikes_and_dips"]).any()
    y[60:63] = y[59]
    y[90] += 25
    (tmp_path / "again").mkdir()
    cur = sd.daily_model(tmp_path / "again", y, "seasonalities=['NO_SEASONALITY'], adjust_step_changes=FALSE")
    rows = sd.query(cur, "SELECT spikes_and_dips FROM ML.EXPLAIN_FORECAST(MODEL m) WHERE time_series_type = 'history'")
    assert np.flatnonzero(np.nan_to_num(rows["spikes_and_dips"])).tolist() == [90]


def test_the_forecast_error_counts_the_spikes_to_come(tmp_path):
    """Cleaning a spike takes it out of the ARIMA's error; the forecast's standard error adds the spikes' mean
    square per step back: sqrt(se_clean^2 + spike^2 / n) with cleaning, against the ARIMA of the cleaned series."""
    y = sd.random_walk(100, 9)
    y[50] += 40
    cur = sd.daily_model(
        tmp_path,
        y,
        "seasonalities=['NO_SEASONALITY'], adjust_step_changes=FALSE, horizon=5, interval_backtest_windows=0",
    )
    rows = sd.query(cur, "SELECT spikes_and_dips FROM ML.EXPLAIN_FORECAST(MODEL m) WHERE time_series_type = 'history'")
    spikes = np.nan_to_num(rows["spikes_and_dips"])
    assert np.flatnonzero(spikes).tolist() == [50]
    reference = sd.arima_forecast(sd.auto_arima(y - spikes), 5, 0.9)
    got = sd.query(
        cur, "SELECT forecast_timestamp, standard_error FROM ML.FORECAST(MODEL m, STRUCT(5 AS horizon)) ORDER BY 1"
    )
    np.testing.assert_allclose(got["standard_error"], np.sqrt(reference["se"] ** 2 + np.mean(spikes**2)), rtol=1e-7)

"""One series through the ARIMA_PLUS pipeline, in BigQuery ML's order: the regular grid (frequency inferred,
gaps interpolated), [ARIMA_PLUS_XREG: the linear regression on the external regressors, the rest going on],
holiday effects, spikes and dips, step changes (adjustments.py), the seasonal decomposition (statsforecast's
MSTL, several seasonalities at once), then auto-ARIMA (statsforecast's AutoARIMA, non-seasonal) on what is left.

The decomposition adds up: data = trend + seasonal_* + holiday_effect + spikes_and_dips + step_changes + residual
[+ the regressors' attributions], where trend is the ARIMA's one-step-ahead fit and residual its errors.
The forecast's intervals are then widened to the pipeline's own errors on held-out windows (interval_scale).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from sqlml.engine.forecasting import adjustments, calendar
from sqlml.errors import DataError

MIN_POINTS = 3  # the fewest steps a series needs (after its grid is filled and its length options applied)
MIN_LENGTH = 20  # min_time_series_length's default
YEAR = np.timedelta64(365 * calendar.DAY, "us")  # holidays apply to a daily or weekly series longer than this
Z90 = 1.6448536269514722  # the standard normal's 95th percentile: a 90% interval's half-width in errors


@dataclass
class SeriesFit:
    """A fitted series: its history decomposed, its forecast up to the model's horizon, its ARIMA."""

    frequency: str
    history_time: np.ndarray
    data: np.ndarray
    trend: np.ndarray
    seasonal: dict[str, np.ndarray]  # seasonality name (WEEKLY, YEARLY, ...) -> its component
    holidays: dict[str, np.ndarray]  # holiday name -> its effect
    spikes_and_dips: np.ndarray
    step_changes: np.ndarray
    residual: np.ndarray
    forecast_time: np.ndarray
    forecast_trend: np.ndarray  # the ARIMA's forecast (its mean), per step
    standard_error: np.ndarray
    forecast_holidays: dict[str, np.ndarray]
    arima: dict  # non_seasonal_p/d/q, has_drift, log_likelihood, AIC, variance, ar / ma coefficients, ...
    weights: list[float] = field(default_factory=list)  # ARIMA_PLUS_XREG: intercept, then one per regressor
    regressors: np.ndarray | None = None  # ARIMA_PLUS_XREG: the history's regressor values (n, k)
    bounds: tuple[float | None, float | None] = (None, None)  # forecast_limit_lower/upper_bound
    log_scale: bool = False  # modelled in a log scale (multiplicative seasonality; see multiplicative)
    interval_scale: float = 1.0  # how much the held-out windows widened the ARIMA's intervals (interval_scale)

    @property
    def forecast_value(self) -> np.ndarray:
        """The forecast (in the limited scale): see forecast_total."""
        periods = calendar.PERIODS[self.frequency]
        return forecast_total(self.forecast_trend, self.seasonal, periods, self.forecast_holidays)


def forecast_total(trend: np.ndarray, seasonal: dict, periods: dict, holidays: dict) -> np.ndarray:
    """A forecast: the ARIMA's (`trend`), each seasonal component's last cycle repeated, the holidays' effects."""
    steps = len(trend)
    repeated = [repeat_last_period(component, periods[name], steps) for name, component in seasonal.items()]
    return np.sum([trend, *repeated, *holidays.values()], axis=0)


def repeat_last_period(component: np.ndarray, period: int, steps: int) -> np.ndarray:
    """A seasonal component's forecast: its last `period` values repeated over `steps` steps (MSTL's own)."""
    return component[len(component) - period + np.arange(steps) % period]


def fit_series(times: np.ndarray, values: np.ndarray, regressors: np.ndarray | None, options: dict, series: str):
    """The SeriesFit of one series (timestamps sorted ascending, NULL values as NaN), or DataError naming it."""
    frequency = options["data_frequency"]
    if frequency == "AUTO_FREQUENCY":
        frequency = calendar.infer_frequency(times) if len(times) > 1 else "DAILY"
    both = values[:, None] if regressors is None else np.column_stack([values, regressors])
    horizon = options["horizon"]
    times, both, future = calendar.regular(times, both, frequency, series, horizon)
    times, both = _truncated(times, both, options)
    bounds = (options.get("forecast_limit_lower_bound"), options.get("forecast_limit_upper_bound"))
    both[beyond(both[:, 0], bounds), 0] = np.nan  # BigQuery ML: values at or beyond a limit are left out
    if len(times) < MIN_POINTS or np.isnan(both[:, 0]).all():
        raise DataError(
            f"{series} has {int((~np.isnan(both[:, 0])).sum())} value(s) over {len(times)} time step(s)"
            f"{' inside the forecast limits' if bounds != (None, None) else ''}; "
            f"forecasting needs at least {MIN_POINTS} steps"
        )
    both = calendar.interpolate(both)
    data, regressors = both[:, 0], (both[:, 1:] if regressors is not None else None)
    weights, rest = _regression(data, regressors, options.get("l2_reg", 0.0))
    periods = _periods(frequency, options.get("seasonalities", ["AUTO"]), len(rest))
    shortest = min(periods.values(), default=None)
    if bounds == (None, None) and regressors is None and multiplicative(rest, shortest):
        bounds = (0.0, None)  # a log scale: the seasonal swing grows with the level
    rest = limited(rest, bounds)

    parts = _decomposed(rest, times, future, frequency, periods, options)
    # the ARIMA's errors on what the decomposition leaves, scaled up to the pipeline's own on held-out windows
    scale = interval_scale(rest, times, frequency, parts, options)
    residual = np.asarray(parts.model["residuals"], dtype=np.float64)
    trend = _smoothed(parts.adjusted - residual, options["trend_smoothing_window_size"])
    return SeriesFit(
        frequency=frequency,
        history_time=times,
        data=data,
        trend=trend,
        seasonal=parts.seasonal,
        holidays=parts.holidays,
        spikes_and_dips=parts.spikes_and_dips,
        step_changes=parts.step_changes,
        residual=parts.adjusted - trend,
        forecast_time=future,
        forecast_trend=parts.forecast_trend,
        standard_error=parts.standard_error * scale,
        forecast_holidays=parts.forecast_holidays,
        arima=parts.arima,
        weights=weights,
        regressors=regressors,
        bounds=bounds,
        log_scale=bounds == (0.0, None) and options.get("forecast_limit_lower_bound") is None,
        interval_scale=scale,
    )


@dataclass
class Decomposed:
    """A series (in its modelling scale, less any regressors) taken apart: holiday effects, spikes and dips, step
    changes, seasonal components, and the ARIMA of what they leave (`adjusted`), with its forecast ahead."""

    holidays: dict[str, np.ndarray]
    forecast_holidays: dict[str, np.ndarray]
    spikes_and_dips: np.ndarray
    step_changes: np.ndarray
    seasonal: dict[str, np.ndarray]
    adjusted: np.ndarray
    model: dict  # statsforecast's ARIMA
    arima: dict  # what ML.ARIMA_EVALUATE reports of it
    forecast_trend: np.ndarray
    standard_error: np.ndarray  # the ARIMA's, the spikes' and the seasonal components' (see _decomposed)
    periods: dict[str, int]  # the seasonal components' periods


def _decomposed(
    rest: np.ndarray, times: np.ndarray, future: np.ndarray, frequency: str, periods: dict[str, int], options: dict
) -> Decomposed:
    """BigQuery ML's steps after the regression, in its order: holiday effects, spikes and dips, step changes,
    the seasonal components, the ARIMA; its forecast over the `future` timestamps."""
    shortest = min(periods.values(), default=None)
    holidays, forecast_holidays = {}, {}
    if options["holiday_region"] and frequency in ("DAILY", "WEEKLY") and times[-1] - times[0] > YEAR:
        days = times.astype("datetime64[D]")
        dates = calendar.holiday_dates(options["holiday_region"], days[0], future[-1].astype("datetime64[D]"))
        holidays = adjustments.holiday_effects(rest, days, dates, shortest)
        future_days = future.astype("datetime64[D]")
        forecast_holidays = {
            name: np.where(np.isin(future_days, dates[name]), effect[np.isin(days, dates[name])][0], 0.0)
            for name, effect in holidays.items()
        }
    rest = rest - sum(holidays.values(), np.zeros(len(rest)))
    spikes = adjustments.spikes_and_dips(rest, shortest) if options["clean_spikes_and_dips"] else np.zeros(len(rest))
    rest = rest - spikes
    steps = adjustments.step_changes(rest, shortest) if options["adjust_step_changes"] else np.zeros(len(rest))
    rest = rest - steps
    seasonal = _seasonal(rest, periods, options)
    rest = rest - sum(seasonal.values(), np.zeros(len(rest)))
    model, arima = _arima(rest, options)
    mean, se = _forecast(model, len(future))
    # the future has its spikes and dips too: their mean square per step joins the ARIMA's (cleaned) error
    se = np.sqrt(se**2 + _seasonal_variance(seasonal, periods, len(future)) + np.mean(spikes**2))
    kept = {name: periods[name] for name in seasonal}
    return Decomposed(holidays, forecast_holidays, spikes, steps, seasonal, rest, model, arima, mean, se, kept)


def interval_scale(values: np.ndarray, times: np.ndarray, frequency: str, whole: Decomposed, options: dict) -> float:
    """How much wider than the ARIMA's the intervals must be for the pipeline's own errors (sqlml's, beyond BigQuery
    ML): the decomposition is refitted, with the seasonalities and ARIMA order found on the whole series, on all
    but the last w windows of `length` steps (w = 1 .. interval_backtest_windows; length = horizon, at most a
    quarter of the series), and forecasts the window after; the scale is the root mean square of those errors
    over their standard errors, at least 1. Windows that leave too short a series (under MIN_LENGTH steps or two
    windows) or that the optimizer cannot fit are not counted; with none, 1."""
    n = len(values)
    length = min(options["horizon"], n // 4)
    p, d, q = (whole.arima[f"non_seasonal_{x}"] for x in "pdq")
    fixed = options | {
        "auto_arima": False,
        "non_seasonal_order": (p, d, q),
        "include_drift": whole.arima["has_drift"],
        "seasonalities": list(whole.seasonal) or ["NO_SEASONALITY"],
    }
    errors = []
    for window in range(1, options["interval_backtest_windows"] + 1):
        cut = n - window * length
        if length < 1 or cut < max(MIN_LENGTH, 2 * length):
            break
        periods = _periods(frequency, fixed["seasonalities"], cut)
        try:
            held = _decomposed(values[:cut], times[:cut], times[cut : cut + length], frequency, periods, fixed)
        except Exception:  # an ARIMA the optimizer cannot fit on this window: the window is not counted
            continue
        forecast = forecast_total(held.forecast_trend, held.seasonal, held.periods, held.forecast_holidays)
        with np.errstate(divide="ignore", invalid="ignore"):
            errors.append((values[cut : cut + length] - forecast) / held.standard_error)
    standardized = np.concatenate([np.zeros(0), *errors])
    standardized = standardized[np.isfinite(standardized)]  # a window of a flat series: no error, no spread
    return max(1.0, float(np.sqrt(np.mean(standardized**2)))) if len(standardized) else 1.0


def _smoothed(trend: np.ndarray, size: int | None) -> np.ndarray:
    """trend_smoothing_window_size: the trend's centered moving average over `size` steps, the ends padded with
    the first and last values (it changes the decomposition's trend, not the forecast)."""
    if not size or size == 1:
        return trend
    before, after = (size - 1) // 2, size // 2
    padded = np.concatenate([np.full(before, trend[0]), trend, np.full(after, trend[-1])])
    return np.convolve(padded, np.ones(size) / size, mode="valid")


def _truncated(times: np.ndarray, values: np.ndarray, options: dict) -> tuple[np.ndarray, np.ndarray]:
    """The latest steps the length options keep: max_time_series_length of them, or time_series_length_fraction
    of them but at least min_time_series_length."""
    n = len(times)
    keep = n
    if options["time_series_length_fraction"] is not None:
        least = options["min_time_series_length"] or MIN_LENGTH
        keep = max(math.ceil(n * options["time_series_length_fraction"]), least)
    if options["max_time_series_length"] is not None:
        keep = min(keep, options["max_time_series_length"])
    return times[n - min(keep, n) :], values[n - min(keep, n) :]


def _regression(data: np.ndarray, regressors: np.ndarray | None, l2_reg: float) -> tuple[list[float], np.ndarray]:
    """ARIMA_PLUS_XREG: the ridge weights (intercept first, not penalized) of the data on the regressors, and
    what they leave; else no weights and the data."""
    if regressors is None:
        return [], data
    design = np.column_stack([np.ones(len(data)), regressors])
    penalty = np.diag([0.0] + [l2_reg] * regressors.shape[1])
    weights = np.linalg.lstsq(design.T @ design + penalty, design.T @ data, rcond=None)[0]
    return weights.tolist(), data - regressors @ weights[1:]  # the intercept stays with the series' level


def beyond(values: np.ndarray, bounds: tuple) -> np.ndarray:
    """Which values lie at or beyond a forecast limit (forecast_limit_lower_bound, forecast_limit_upper_bound)."""
    low, high = bounds
    out = np.zeros(len(values), bool)
    if low is not None:
        out |= values <= low
    if high is not None:
        out |= values >= high
    return out


SWING_CORRELATION = 0.8  # how closely a multiplicative series' seasonal swing follows its level, cycle by cycle
LEVEL_RATIO = 1.5  # and how far its level must move (highest cycle mean over lowest) for that to matter


def multiplicative(values: np.ndarray, period: int | None) -> bool:
    """Whether a positive seasonal series' seasonal swing grows with its level: over its full cycles, the
    correlation of each cycle's spread around the centered moving average with that average's mean is at least
    SWING_CORRELATION, and the highest mean is LEVEL_RATIO times the lowest (sqlml's: BigQuery ML's decomposition
    is additive only)."""
    if not period or period < 2 or len(values) < 4 * period or (values <= 0).any():
        return False
    kernel = np.ones(period + 1 - period % 2) / (period + 1 - period % 2)
    level = np.convolve(values, kernel, mode="valid")
    start = (len(values) - len(level)) // 2
    swing = values[start : start + len(level)] - level
    cycles = len(level) // period
    means = level[: cycles * period].reshape(cycles, period).mean(axis=1)
    spreads = swing[: cycles * period].reshape(cycles, period).std(axis=1)
    if cycles < 3 or means.min() <= 0 or means.max() / means.min() < LEVEL_RATIO or spreads.std() == 0:
        return False
    return float(np.corrcoef(means, spreads)[0, 1]) >= SWING_CORRELATION


def limited(values: np.ndarray, bounds: tuple) -> np.ndarray:
    """Values in the scale where forecast limits hold (a logit between both limits, a log above a lower or below
    an upper one); a value at or beyond a limit maps to -inf or +inf."""
    low, high = bounds
    if low is None and high is None:
        return values
    values = np.clip(values, low, high)
    with np.errstate(divide="ignore"):
        if low is not None and high is not None:
            return np.log(values - low) - np.log(high - values)
        return np.log(values - low) if low is not None else -np.log(high - values)


def unlimited(values: np.ndarray, bounds: tuple) -> np.ndarray:
    """The inverse of limited(): values of the limited scale back in the data's, kept strictly inside the limits
    (far out in the limited scale the exact value rounds onto a limit: it becomes the nearest float inside)."""
    low, high = bounds
    with np.errstate(over="ignore"):
        if low is not None and high is not None:
            values = low + (high - low) / (1 + np.exp(-values))
        elif low is not None:
            values = low + np.exp(values)
        elif high is not None:
            values = high - np.exp(-values)
    inside_low = -np.inf if low is None else np.nextafter(low, np.inf)
    inside_high = np.inf if high is None else np.nextafter(high, -np.inf)
    return np.clip(values, inside_low, inside_high)


def _periods(frequency: str, seasonalities: list[str], n: int) -> dict[str, int]:
    """The seasonalities to decompose: the asked ones (AUTO: the frequency's usual ones) that the frequency
    carries and two full cycles of the series cover."""
    if seasonalities == ["NO_SEASONALITY"]:
        return {}
    names = calendar.AUTO_PERIODS[frequency] if seasonalities == ["AUTO"] else seasonalities
    carried = calendar.PERIODS[frequency]
    return {name: carried[name] for name in names if name in carried and n > 2 * carried[name]}


SEASONAL_STRENGTH = 0.3  # AUTO keeps a seasonality whose strength, 1 - var(remainder) / var(remainder + it), is this


def _seasonal(values: np.ndarray, periods: dict[str, int], options: dict) -> dict[str, np.ndarray]:
    """Seasonality name -> its MSTL component; under AUTO, only the seasonalities strong enough to keep."""
    if not periods:
        return {}
    from statsforecast.mstl import mstl

    names = sorted(periods, key=periods.get)
    frame = mstl(values, [periods[name] for name in names])
    columns = [c for c in frame.columns if c.startswith("seasonal")]
    found = {name: frame[column].to_numpy() for name, column in zip(names, columns)}
    if options.get("seasonalities", ["AUTO"]) != ["AUTO"]:
        return found
    remainder = frame["remainder"].to_numpy()
    strong = {name: periods[name] for name, component in found.items() if _strength(remainder, component)}
    if len(strong) == len(found):
        return found
    return _seasonal(values, strong, options | {"seasonalities": list(strong)})  # again, with the strong ones


def _strength(remainder: np.ndarray, component: np.ndarray) -> bool:
    """Whether a seasonal component is strong enough for AUTO to keep: 1 - var(remainder) / var(remainder +
    component) of at least SEASONAL_STRENGTH (Wang, Smith and Hyndman's seasonal strength)."""
    return 1 - remainder.var() / max((remainder + component).var(), 1e-300) >= SEASONAL_STRENGTH


def _arima(values: np.ndarray, options: dict) -> tuple[dict, dict]:
    """The ARIMA of the adjusted series (auto-ARIMA's pick, or non_seasonal_order) and what ML.ARIMA_EVALUATE
    and ML.ARIMA_COEFFICIENTS report of it."""
    from statsforecast.arima import Arima, auto_arima_f

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if options["auto_arima"]:
            most = options["auto_arima_max_order"]
            model = auto_arima_f(
                values,
                max_order=most,
                max_p=min(5, most),
                max_q=min(5, most),
                seasonal=False,
                period=1,
                allowdrift=True,
                stepwise=False,  # every p + q <= max_order, as BigQuery; the stepwise search ignores max_order
            )
            least = options["auto_arima_min_order"]
            if sum(model["arma"][:2]) < least:
                model = _at_least(values, model, least, most)
        else:
            p, d, q = options["non_seasonal_order"]
            model = Arima(values, order=(p, d, q), include_drift=bool(options["include_drift"]), method="CSS-ML")
    coef = model["coef"]
    p, q, d = model["arma"][0], model["arma"][1], model["arma"][5]
    constant = coef.get("drift", coef.get("intercept", 0.0))
    return model, {
        "non_seasonal_p": int(p),
        "non_seasonal_d": int(d),
        "non_seasonal_q": int(q),
        "has_drift": "drift" in coef,
        "log_likelihood": float(model["loglik"]),
        "aic": float(model["aic"]) if model["aic"] is not None else None,
        "variance": float(model["sigma2"]),
        "ar_coefficients": [float(coef[f"ar{i + 1}"]) for i in range(p)],
        "ma_coefficients": [float(coef[f"ma{i + 1}"]) for i in range(q)],
        "intercept_or_drift": float(constant),
    }


def _at_least(values: np.ndarray, model: dict, least: int, most: int) -> dict:
    """Among ARIMAs of auto-ARIMA's differencing whose p + q lies in [least, most], the one of least AICc."""
    from statsforecast.arima import Arima

    d, best = model["arma"][5], None
    for p in range(0, min(5, most) + 1):
        for q in range(max(0, least - p), min(5, most - p) + 1):
            try:
                candidate = Arima(values, order=(p, d, q), include_drift=d == 1, method="CSS-ML")
            except Exception:  # an order the optimizer cannot fit is no candidate
                continue
            if best is None or candidate["aicc"] < best["aicc"]:
                best = candidate
    if best is None:
        raise DataError(f"no ARIMA with auto_arima_min_order {least} fits")
    return best


def _seasonal_variance(seasonal: dict[str, np.ndarray], periods: dict[str, int], horizon: int) -> np.ndarray:
    """Per forecast step, the variance the seasonal components add: each is forecast by repeating its last cycle,
    which errs as a seasonal random walk does, by the variance of its cycle-to-cycle change for each cycle ahead
    (k = ceil(step / period)). The ARIMA's own error covers only what the decomposition leaves."""
    steps = np.arange(1, horizon + 1)
    variance = np.zeros(horizon)
    for name, component in seasonal.items():
        period = periods[name]
        variance += np.ceil(steps / period) * np.var(component[period:] - component[:-period])
    return variance


def _forecast(model: dict, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """The ARIMA's forecast mean and standard error for `horizon` steps."""
    from statsforecast.arima import forecast_arima

    result = forecast_arima(model, h=horizon, level=[90])
    mean = np.asarray(result["mean"], dtype=np.float64)
    upper = result["upper"]["90%"].to_numpy() if result["upper"] is not None else mean
    return mean, np.maximum(upper - mean, 0.0) / Z90

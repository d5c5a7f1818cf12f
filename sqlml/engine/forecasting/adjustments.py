"""The steps of the ARIMA_PLUS pipeline that statsforecast lacks, written here: holiday effects, spike and dip
cleaning, step-change adjustment. Each works on a regular, gap-free series and returns components that add up
to what it removes (the series = what remains + the components).

All three compare the series with a robust local baseline, the centered running median over `window` steps
(at least one period of the shortest seasonality, and 7; the series' ends mirrored), and measure noise by the
median absolute deviation (MAD, scaled by 1.4826 to estimate a normal standard deviation), so that the very
points they look for do not inflate the yardstick they are measured with. Spikes and holidays take that
yardstick from the median smoothed by a moving mean (a median alone follows a monotone stretch exactly, leaving
a trending series no spread to measure); step changes from the one-step changes less their median (the trend's).
"""

from __future__ import annotations

import numpy as np

SPIKE_SIGMAS = 6.0  # a point this many robust standard deviations off its baseline is a spike or a dip
STEP_SIGMAS = 6.0  # a one-step change this many robust standard deviations of the changes is a step change
HOLIDAY_SIGMAS = 3.0  # a holiday's mean effect this many standard errors from 0 is an effect


def window(period: int | None) -> int:
    """The odd running-median window: one shortest period (7 steps without seasonality), at least 7."""
    size = max(7, period or 7)
    return size + 1 - size % 2


def reflected(values: np.ndarray, half: int) -> np.ndarray:
    """`values` with `half` steps more at each end, mirrored through the end points (2 * end - mirror image), so
    that a trend goes on straight and a window at an end is centered like any other; NaN where the end point or
    its mirror is NaN (a left-out step), or where the series is too short to mirror."""
    if len(values) <= half:
        return np.pad(values, half, constant_values=np.nan)
    before = 2 * values[0] - values[half:0:-1]
    after = 2 * values[-1] - values[-2 : -half - 2 : -1]
    return np.concatenate([before, values, after])


def running_median(values: np.ndarray, size: int, left_out: np.ndarray | None = None) -> np.ndarray:
    """The centered running median over `size` (odd) steps, the ends mirrored (reflected); `left_out` steps take
    no part in it, so a point never drags its own baseline."""
    half = size // 2
    kept = values if left_out is None else np.where(left_out, np.nan, values)
    padded = reflected(kept, half)
    windows = np.lib.stride_tricks.sliding_window_view(padded, size)
    gaps = np.convolve(np.isnan(padded), np.ones(size, dtype=np.int64), mode="valid")  # NaNs per window
    out = np.full(len(values), np.nan)
    full, partial = gaps == 0, (gaps > 0) & (gaps < size)
    out[full] = np.median(windows[full], axis=1)  # the common case, without nanmedian's cost
    out[partial] = np.nanmedian(windows[partial], axis=1)
    found = gaps < size
    return out if found.all() else np.interp(np.arange(len(values)), np.flatnonzero(found), out[found])


def robust_sigma(values: np.ndarray) -> float:
    return 1.4826 * float(np.median(np.abs(values - np.median(values))))


def phase_pattern(rest: np.ndarray, period: int | None, left_out: np.ndarray | None = None) -> np.ndarray:
    """Per step, the mean of `rest` over the steps of its phase of `period`, `left_out` steps not counted (zeros
    unless it spans two periods)."""
    if not period or len(rest) < 2 * period:
        return np.zeros(len(rest))
    phase = np.arange(len(rest)) % period
    counted = np.ones(len(rest), bool) if left_out is None else ~left_out
    sums = np.bincount(phase[counted], rest[counted], period)
    return (sums / np.maximum(np.bincount(phase[counted], minlength=period), 1))[phase]


def smoothed_median(values: np.ndarray, size: int, left_out: np.ndarray | None = None) -> np.ndarray:
    """The running median smoothed by a centered moving mean over the same window (the ends mirrored). Unlike the
    median alone it does not reproduce each point of a monotone stretch exactly."""
    half = size // 2
    padded = reflected(running_median(values, size, left_out), half)
    return np.nanmean(np.lib.stride_tricks.sliding_window_view(padded, size), axis=1)


def deviations(
    values: np.ndarray, period: int | None, left_out: np.ndarray | None = None, smooth: bool = False
) -> np.ndarray:
    """The series minus its baseline: the mean pattern of each phase of the shortest period and the running
    median of what that pattern leaves (a seasonal swing inside the window would bias the median); what is left
    for spikes, dips and holidays to stand out from. `left_out` steps are no part of the baseline; `smooth`:
    the median smoothed (smoothed_median)."""
    size = window(period)

    def base(series):
        return (smoothed_median if smooth else running_median)(series, size, left_out)

    pattern = phase_pattern(values - base(values), period, left_out)
    deseasoned = values - pattern
    return deseasoned - base(deseasoned)


def holiday_effects(
    values: np.ndarray, days: np.ndarray, holidays: dict[str, np.ndarray], period: int | None
) -> dict[str, np.ndarray]:
    """Holiday name -> its effect on each step (0 off the holiday), for every holiday that occurs in `days` (the
    steps' dates): its mean deviation over its occurrences where that stands HOLIDAY_SIGMAS standard errors from
    zero, else 0 (a holiday with no effect keeps its column in ML.EXPLAIN_FORECAST)."""
    marked = {name: np.isin(days, dates) for name, dates in holidays.items()}
    ordinary = ~np.any(list(marked.values()), axis=0) if marked else np.ones(len(values), bool)
    rest = deviations(values, period, left_out=~ordinary)
    spread = deviations(values, period, left_out=~ordinary, smooth=True)  # see spikes_and_dips
    sigma = robust_sigma(spread[ordinary]) if ordinary.any() else 0.0
    effects = {}
    for name, on in marked.items():
        if not on.any():
            continue
        effect = float(rest[on].mean())
        significant = abs(effect) > HOLIDAY_SIGMAS * sigma / np.sqrt(on.sum())
        effects[name] = np.where(on, effect if significant else 0.0, 0.0)
    return effects


def spikes_and_dips(values: np.ndarray, period: int | None) -> np.ndarray:
    """Per step, how far a spike or dip lies above or below its baseline (0 elsewhere): a point SPIKE_SIGMAS
    robust standard deviations off it whose neighbours are not (a peak of a cycle, its neighbours high too, is
    the series' shape, not an outlier)."""
    rest = deviations(values, period)
    # the yardstick comes from the smoothed baseline: the median's own deviations are exactly 0 on every monotone
    # stretch, and on a trending series their robust sigma fell near 0, so ordinary points passed for spikes
    sigma = robust_sigma(deviations(values, period, smooth=True))
    if sigma <= 0:
        return np.zeros(len(values))
    far = np.abs(rest) > SPIKE_SIGMAS * sigma
    beside = np.abs(np.pad(rest, 1))  # each point's neighbours, the ends padded with 0
    isolated = np.maximum(beside[:-2], beside[2:]) < np.abs(rest) / 2
    return np.where(far & isolated, rest, 0.0)


def step_changes(values: np.ndarray, period: int | None) -> np.ndarray:
    """Per step, its level's offset from the latest level: a step change is a one-step jump STEP_SIGMAS robust
    standard deviations beyond the series' ordinary one-step changes (seasonal ones and the trend's typical
    change taken out) after which the running median stays shifted, beyond the trend, by at least half the
    jump. Adjusting a series subtracts this, so every step sits at the level the series ends on."""
    size = window(period)
    offsets = np.zeros(len(values))
    if len(values) < 4 * size:
        return offsets
    level = running_median(values, size)
    changes = np.diff(values - phase_pattern(values - level, period))
    typical = float(np.median(changes))  # a trend's change per step is no step change
    jumps = changes - typical
    sigma = robust_sigma(jumps)
    last = -size
    for at in np.flatnonzero(np.abs(jumps) > STEP_SIGMAS * sigma) + 1 if sigma > 0 else ():
        if at < size or at > len(values) - size or at - last < size:
            continue
        shift = level[at + size // 2] - level[at - size // 2 - 1] - typical * size
        if np.sign(shift) == np.sign(jumps[at - 1]) and abs(shift) >= abs(jumps[at - 1]) / 2:
            offsets[:at] -= shift
            last = at
    return offsets

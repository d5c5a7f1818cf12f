"""The steps of the ARIMA_PLUS pipeline that statsforecast lacks, written here: holiday effects, spike and dip
cleaning, step-change adjustment. Each works on a regular, gap-free series and returns components that add up
to what it removes (the series = what remains + the components).

All three compare the series with a robust local baseline, the centered running median over `window` steps
(at least one period of the shortest seasonality, and 7), and measure noise by the median absolute deviation
(MAD, scaled by 1.4826 to estimate a normal standard deviation), so that the very points they look for do not
inflate the yardstick they are measured with.
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


def running_median(values: np.ndarray, size: int) -> np.ndarray:
    """The centered running median over `size` (odd) steps, the ends padded with their edge values."""
    half = size // 2
    padded = np.pad(values, half, mode="edge")
    return np.median(np.lib.stride_tricks.sliding_window_view(padded, size), axis=1)


def robust_sigma(values: np.ndarray) -> float:
    return 1.4826 * float(np.median(np.abs(values - np.median(values))))


def phase_pattern(rest: np.ndarray, period: int | None) -> np.ndarray:
    """Per step, the mean of `rest` over the steps of its phase of `period` (zeros unless it spans two periods)."""
    if not period or len(rest) < 2 * period:
        return np.zeros(len(rest))
    phase = np.arange(len(rest)) % period
    return (np.bincount(phase, rest, period) / np.bincount(phase, minlength=period))[phase]


def deviations(values: np.ndarray, period: int | None) -> np.ndarray:
    """The series minus its running median and the mean pattern of each phase of the shortest period: what is
    left for spikes, dips and holidays to stand out from."""
    rest = values - running_median(values, window(period))
    return rest - phase_pattern(rest, period)


def holiday_effects(
    values: np.ndarray, days: np.ndarray, holidays: dict[str, np.ndarray], period: int | None
) -> dict[str, np.ndarray]:
    """Holiday name -> its effect on each step (0 off the holiday), for the holidays whose mean deviation over
    their occurrences in `days` (the steps' dates) stands HOLIDAY_SIGMAS standard errors from zero."""
    rest = deviations(values, period)
    marked = {name: np.isin(days, dates) for name, dates in holidays.items()}
    ordinary = ~np.any(list(marked.values()), axis=0) if marked else np.ones(len(values), bool)
    sigma = robust_sigma(rest[ordinary]) if ordinary.any() else 0.0
    effects = {}
    for name, on in marked.items():
        if not on.any():
            continue
        effect = float(rest[on].mean())
        if abs(effect) > HOLIDAY_SIGMAS * sigma / np.sqrt(on.sum()):
            effects[name] = np.where(on, effect, 0.0)
    return effects


def spikes_and_dips(values: np.ndarray, period: int | None) -> np.ndarray:
    """Per step, how far a spike or dip lies above or below its baseline (0 elsewhere)."""
    rest = deviations(values, period)
    sigma = robust_sigma(rest)
    return np.where(np.abs(rest) > SPIKE_SIGMAS * sigma, rest, 0.0) if sigma > 0 else np.zeros(len(values))


def step_changes(values: np.ndarray, period: int | None) -> np.ndarray:
    """Per step, its level's offset from the latest level: a step change is a one-step jump STEP_SIGMAS robust
    standard deviations beyond the series' ordinary one-step changes (seasonal ones taken out) after which the
    running median stays shifted by at least half the jump. Adjusting a series subtracts this, so every step
    sits at the level the series ends on."""
    size = window(period)
    offsets = np.zeros(len(values))
    if len(values) < 4 * size:
        return offsets
    level = running_median(values, size)
    jumps = np.diff(values - phase_pattern(values - level, period))
    sigma = robust_sigma(jumps)
    last = -size
    for at in np.flatnonzero(np.abs(jumps) > STEP_SIGMAS * sigma) + 1 if sigma > 0 else ():
        if at < size or at > len(values) - size or at - last < size:
            continue
        shift = level[at + size // 2] - level[at - size // 2 - 1]
        if np.sign(shift) == np.sign(jumps[at - 1]) and abs(shift) >= abs(jumps[at - 1]) / 2:
            offsets[:at] -= shift
            last = at
    return offsets

"""A series' calendar: its data frequency (given or inferred), the regular grid of its timestamps, and the
seasonal periods and holidays that grid can carry.

Timestamps are numpy datetime64[us] (UTC). Fixed frequencies (PER_MINUTE, HOURLY, DAILY, WEEKLY) step by a
fixed number of microseconds; MONTHLY, QUARTERLY and YEARLY step by calendar months, keeping the first
timestamp's day of the month (clipped to the month's length) and time of day.
"""

from __future__ import annotations

import numpy as np

from sqlml.errors import DataError

MINUTE = 60_000_000
FIXED = {"PER_MINUTE": MINUTE, "HOURLY": 60 * MINUTE, "DAILY": 1440 * MINUTE, "WEEKLY": 7 * 1440 * MINUTE}
MONTHS = {"MONTHLY": 1, "QUARTERLY": 3, "YEARLY": 12}
FREQUENCIES = ("AUTO_FREQUENCY", *FIXED, *MONTHS)
DAY = FIXED["DAILY"]
# the seasonal periods (in steps) each frequency may carry, by BigQuery ML's names of them
PERIODS = {
    "PER_MINUTE": {"DAILY": 1440, "WEEKLY": 10080},
    "HOURLY": {"DAILY": 24, "WEEKLY": 168},
    "DAILY": {"WEEKLY": 7, "MONTHLY": 30, "QUARTERLY": 91, "YEARLY": 365},
    "WEEKLY": {"YEARLY": 52},
    "MONTHLY": {"QUARTERLY": 3, "YEARLY": 12},
    "QUARTERLY": {"YEARLY": 4},
    "YEARLY": {},
}
# what AUTO seasonality tries: BigQuery ML's defaults (monthly and quarterly cycles of daily data only on request)
AUTO_PERIODS = {
    "PER_MINUTE": ("DAILY", "WEEKLY"),
    "HOURLY": ("DAILY", "WEEKLY"),
    "DAILY": ("WEEKLY", "YEARLY"),
    "WEEKLY": ("YEARLY",),
    "MONTHLY": ("YEARLY",),
    "QUARTERLY": ("YEARLY",),
    "YEARLY": (),
}


def infer_frequency(times: np.ndarray) -> str:
    """The frequency whose step is nearest the median gap between consecutive timestamps (sorted, distinct)."""
    gap = float(np.median(np.diff(times.astype(np.int64))))
    steps = {**FIXED, **{name: months * 30.436875 * DAY for name, months in MONTHS.items()}}
    return min(steps, key=lambda name: abs(np.log(gap / steps[name])))


def grid(first: np.datetime64, frequency: str, n: int, day: int | None = None) -> np.ndarray:
    """n timestamps from `first`, one step of `frequency` apart; calendar steps fall on `day` of the month (1-based;
    by default first's), clipped to the month's length."""
    first = np.datetime64(first, "us")
    if frequency in FIXED:
        return first + np.arange(n, dtype=np.int64) * np.timedelta64(FIXED[frequency], "us")
    month = first.astype("datetime64[M]")
    offset = first - month.astype("datetime64[us]")  # day of the month and time of day
    months = month + np.arange(n) * MONTHS[frequency]
    lengths = (months + 1).astype("datetime64[D]") - months.astype("datetime64[D]")
    days = offset // np.timedelta64(DAY, "us") if day is None else day - 1
    days = np.minimum(days, lengths.astype(np.int64) - 1)
    time_of_day = offset % np.timedelta64(DAY, "us")
    return months.astype("datetime64[us]") + days * np.timedelta64(DAY, "us") + time_of_day


def month_day(times: np.ndarray) -> int:
    """The day of the month calendar steps keep: the latest any timestamp falls on, so that data on month ends
    (Feb 28, Mar 31, Apr 30) stays on month ends."""
    dates = times.astype("datetime64[D]")
    return int((dates - times.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64).max()) + 1


def positions(times: np.ndarray, frequency: str) -> np.ndarray:
    """Each timestamp's step number from the first, rounded to the nearest step of `frequency`."""
    first = times[0]
    if frequency in FIXED:
        return np.rint((times - first).astype(np.int64) / FIXED[frequency]).astype(np.int64)
    months = times.astype("datetime64[M]").astype(np.int64) - first.astype("datetime64[M]").astype(np.int64)
    return np.rint(months / MONTHS[frequency]).astype(np.int64)


def regular(
    times: np.ndarray, values: np.ndarray, frequency: str, series: str, ahead: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The series on its regular grid: (timestamps, values with NaN where a timestamp is missing, the grid's next
    `ahead` timestamps). Two timestamps on one step are a DataError naming the series."""
    steps = positions(times, frequency)
    repeated = np.flatnonzero(np.diff(steps) == 0)
    if len(repeated):
        at = times[repeated[0] + 1]
        raise DataError(
            f"{series} has two rows at one {frequency.lower().replace('_', ' ')} step ({at}): "
            "the timestamps of a series must be distinct steps"
        )
    filled = np.full((steps[-1] + 1,) + values.shape[1:], np.nan)
    filled[steps] = values
    day = month_day(times) if frequency in MONTHS else None
    every = grid(times[0], frequency, steps[-1] + 1 + ahead, day)
    return every[: steps[-1] + 1], filled, every[steps[-1] + 1 :]


def interpolate(values: np.ndarray) -> np.ndarray:
    """Missing (NaN) values linearly interpolated between their neighbours, held flat beyond the ends
    (BigQuery ML: "local linear interpolation"); columns of a 2-D array each on their own."""
    if values.ndim == 2:
        return np.column_stack([interpolate(column) for column in values.T]) if values.shape[1] else values
    known = np.flatnonzero(~np.isnan(values))
    if len(known) == len(values) or not len(known):
        return values
    return np.interp(np.arange(len(values)), known, values[known])


def holiday_dates(regions: list[str], first: np.datetime64, last: np.datetime64) -> dict[str, np.ndarray]:
    """Holiday name -> its dates (datetime64[D]) between `first` and `last`, in the union of `regions`' holidays
    (the holidays package's calendars; see REGION_COUNTRIES for BigQuery ML's multi-country regions)."""
    import holidays

    years = range(int(str(first)[:4]), int(str(last)[:4]) + 1)
    found: dict[str, set] = {}
    for region in regions:
        for country in REGION_COUNTRIES.get(region, (region,)):
            for date, names in holidays.country_holidays(country, years=years).items():
                for name in names.split("; "):
                    found.setdefault(name, set()).add(np.datetime64(date, "D"))
    return {name: np.array(sorted(dates)) for name, dates in sorted(found.items())}


# BigQuery ML's holiday regions that span countries, as the countries whose public holidays sqlml takes for them
REGION_COUNTRIES = {
    "GLOBAL": ("US", "GB", "DE", "FR", "JP", "CN", "IN", "BR"),
    "NA": ("US", "CA", "MX"),
    "JAPAC": ("JP", "AU", "CN", "IN", "KR", "SG", "NZ", "ID", "TH", "PH", "MY", "VN", "TW", "HK", "PK"),
    "EMEA": ("GB", "DE", "FR", "ES", "IT", "NL", "BE", "CH", "AT", "SE", "NO", "DK", "FI", "IE", "PT", "PL", "ZA"),
    "LAC": ("BR", "MX", "AR", "CL", "CO", "PE", "VE", "EC"),
}

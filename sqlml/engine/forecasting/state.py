"""A trained forecasting model: one Arrow table, a row per series, stored as an Arrow IPC stream (no pickle).

Per series it holds the series' id values (a struct column `series_id`, absent for a single series), its
frequency, its history decomposed (decompose_time_series), its forecast up to the model's horizon (the ARIMA's
mean and standard error, the holidays' effects), and the ARIMA's orders and coefficients; a series that failed
holds its error_message and nothing else. ML.FORECAST and the other functions read their answers from it: a
forecast is computed once, when the model is trained, as in BigQuery ML.
"""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa

from sqlml.engine.forecasting import calendar
from sqlml.engine.forecasting.pipeline import repeat_last_period
from sqlml.errors import NotSupportedError

SEASONS = ("YEARLY", "QUARTERLY", "MONTHLY", "WEEKLY", "DAILY")
TIMES = pa.list_(pa.timestamp("us", tz="UTC"))
VALUES = pa.list_(pa.float64())
ARIMA_FIELDS = {
    "non_seasonal_p": pa.int64(),
    "non_seasonal_d": pa.int64(),
    "non_seasonal_q": pa.int64(),
    "has_drift": pa.bool_(),
    "log_likelihood": pa.float64(),
    "aic": pa.float64(),
    "variance": pa.float64(),
    "ar_coefficients": VALUES,
    "ma_coefficients": VALUES,
    "intercept_or_drift": pa.float64(),
}
SERIES_FIELDS = {
    "frequency": pa.string(),
    "history_time": TIMES,
    "data": VALUES,
    "trend": VALUES,
    **{f"seasonal_{season.lower()}": VALUES for season in SEASONS},
    "holiday_names": pa.list_(pa.string()),
    "holiday_effects": pa.list_(VALUES),
    "spikes_and_dips": VALUES,
    "step_changes": VALUES,
    "residual": VALUES,
    "regressors": pa.list_(VALUES),
    "forecast_time": TIMES,
    "forecast_trend": VALUES,
    "forecast_value": VALUES,
    "standard_error": VALUES,
    "forecast_holiday_effects": pa.list_(VALUES),
    "weights": VALUES,
    **ARIMA_FIELDS,
    "seasonal_periods": pa.list_(pa.string()),
    "has_holiday_effect": pa.bool_(),
    "has_spikes_and_dips": pa.bool_(),
    "has_step_changes": pa.bool_(),
    "log_scale": pa.bool_(),
    "interval_scale": pa.float64(),
    "error_message": pa.string(),
}


def to_ipc(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def from_ipc(data: bytes) -> pa.Table:
    """A stored table, its columns checked against SERIES_FIELDS."""
    table = pa.ipc.open_stream(data).read_all()
    if "log_scale" not in table.column_names:  # stored before sqlml chose log scales: none is in one
        table = table.append_column("log_scale", pa.array([False] * table.num_rows))
    if "interval_scale" not in table.column_names:  # stored before held-out windows widened intervals
        table = table.append_column("interval_scale", pa.array([1.0] * table.num_rows))
    for name, kind in SERIES_FIELDS.items():
        if table.schema.field(name).type != kind:
            raise ValueError(f"column {name} of the stored series is {table.schema.field(name).type}, not {kind}")
    return table


def series_row(fit, decompose: bool) -> dict:
    """The stored row of a pipeline.SeriesFit (its history only when the model keeps the decomposition)."""
    history = {
        "history_time": fit.history_time,
        "data": fit.data,
        "trend": fit.trend,
        **{f"seasonal_{s.lower()}": fit.seasonal.get(s) for s in SEASONS},
        "holiday_effects": list(fit.holidays.values()),
        "spikes_and_dips": fit.spikes_and_dips,
        "step_changes": fit.step_changes,
        "residual": fit.residual,
        "regressors": None if fit.regressors is None else list(fit.regressors),
    }
    if not decompose:  # what detecting anomalies in the history needs stays
        history = {key: history[key] for key in ("history_time", "data", "spikes_and_dips", "residual")}
    return {
        "frequency": fit.frequency,
        **history,
        "holiday_names": list(fit.holidays),
        "forecast_time": fit.forecast_time,
        "forecast_trend": fit.forecast_trend,
        "forecast_value": fit.forecast_value,
        "standard_error": fit.standard_error,
        "forecast_holiday_effects": list(fit.forecast_holidays.values()),
        "weights": fit.weights or None,
        **fit.arima,
        "seasonal_periods": list(fit.seasonal) or ["NO_SEASONALITY"],
        "has_holiday_effect": any(effect.any() for effect in fit.holidays.values()),
        "has_spikes_and_dips": bool(fit.spikes_and_dips.any()),
        "has_step_changes": bool(fit.step_changes.any()),
        "log_scale": fit.log_scale,
        "interval_scale": fit.interval_scale,
    }


def rows_table(rows: list[dict]) -> pa.Table:
    """The stored rows (series_row()s, or {"error_message": ...} of series that failed) as a table."""
    return pa.table({name: pa.array([row.get(name) for row in rows], kind) for name, kind in SERIES_FIELDS.items()})


class ForecastModel:
    """The stored series of a forecasting model (see the module's docstring)."""

    n_features = 0

    def __init__(self, table: pa.Table, bounds: tuple = (None, None), regressors: list[str] = (), zoned=False):
        self.table = table
        self.bounds = bounds  # forecast_limit_lower_bound, forecast_limit_upper_bound (None: unbounded)
        self.regressors = list(regressors)  # ARIMA_PLUS_XREG: the external regressors' columns, in order
        self.zoned = zoned  # trained on a TIMESTAMP WITH TIME ZONE column: timestamps come back with one
        self.time_type = pa.timestamp("us", tz="UTC" if zoned else None)

    @classmethod
    def build(cls, ids: pa.Table | None, rows: pa.Table, options: dict, regressors: list[str], zoned: bool):
        """The model of the fitted series: `ids` their id values (None: one series), `rows` their rows_table()."""
        if ids is not None:
            ids = ids.combine_chunks()
            struct = pa.StructArray.from_arrays([c.chunk(0) for c in ids.columns], ids.column_names)
            rows = rows.combine_chunks().add_column(0, "series_id", struct)
        bounds = (options.get("forecast_limit_lower_bound"), options.get("forecast_limit_upper_bound"))
        return cls(rows, bounds, regressors, zoned)

    @property
    def id_names(self) -> list[str]:
        if "series_id" not in self.table.column_names:
            return []
        return [field.name for field in self.table.schema.field("series_id").type]

    def ids(self) -> pa.Table | None:
        """The series' id columns (None: a model of one series)."""
        if not self.id_names:
            return None
        return pa.Table.from_struct_array(self.table.column("series_id").combine_chunks())

    def predict(self, X: np.ndarray) -> np.ndarray:
        raise NotSupportedError("a forecasting model forecasts its series: use ML.FORECAST")

    def artifact(self) -> bytes:
        described = {"bounds": list(self.bounds), "regressors": self.regressors, "zoned": self.zoned}
        return to_ipc(self.table.replace_schema_metadata({"sqlml": json.dumps(described)}))

    @classmethod
    def load(cls, data: bytes, n_classes: int = 0) -> ForecastModel:
        """The stored table and its description (forecast limits, regressors, time zone), checked."""
        if n_classes:
            raise ValueError("a forecasting model has no classes")
        table = from_ipc(data)
        described = json.loads(table.schema.metadata[b"sqlml"])
        low, high = described["bounds"]
        if not all(isinstance(v, (int, float)) for v in (low, high) if v is not None):
            raise ValueError("the forecast limits are not numbers")
        if not all(isinstance(name, str) for name in described["regressors"]):
            raise ValueError("the regressors are not column names")
        return cls(
            table.replace_schema_metadata(None), (low, high), described["regressors"], described["zoned"] is True
        )

    def bounds_of(self, positions: np.ndarray) -> list[tuple[np.ndarray, tuple]]:
        """(mask over `positions`, the scale's bounds) for each scale those series are modelled in: the model's
        forecast limits, or a log scale (bounds (0, None)) for a series with multiplicative seasonality."""
        log = self.table.column("log_scale").to_numpy(zero_copy_only=False)[positions] == True  # noqa: E712 (NULL)
        scales = ((~log, self.bounds), (log, (0.0, None)))
        return [(mask, bounds) for mask, bounds in scales if mask.any() and bounds != (None, None)]

    def series(self) -> list[dict]:
        """Every series' stored row: list columns of numbers and timestamps as numpy arrays, the rest as Python."""
        table = self.table.combine_chunks()
        columns = {}
        for name, kind in SERIES_FIELDS.items():
            column = table.column(name).chunk(0) if table.num_rows else table.column(name)
            if kind in (VALUES, TIMES):
                columns[name] = [None if not c.is_valid else c.values.to_numpy(zero_copy_only=False) for c in column]
            else:
                columns[name] = column.to_pylist()
        for name in ("history_time", "forecast_time"):
            columns[name] = [None if t is None else t.astype("datetime64[us]") for t in columns[name]]
        return [dict(zip(columns, values)) for values in zip(*columns.values())]

    def fitted(self) -> np.ndarray:
        """The positions of the series that trained (no error_message)."""
        return np.flatnonzero(self.table.column("error_message").is_null().to_numpy(zero_copy_only=False))

    def seasonal_forecast(self, row: dict, steps: int) -> dict[str, np.ndarray]:
        """Each stored seasonal component of a series over `steps` forecast steps."""
        periods = calendar.PERIODS[row["frequency"]]
        return {
            season: repeat_last_period(row[f"seasonal_{season.lower()}"], periods[season], steps)
            for season in SEASONS
            if row.get(f"seasonal_{season.lower()}") is not None
        }

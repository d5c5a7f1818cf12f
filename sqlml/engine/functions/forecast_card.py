"""The sections of ML.MODEL_CARD that differ for a forecasting model (ARIMA_PLUS, ARIMA_PLUS_XREG): what it
forecasts and its options, the series it fitted or failed to, per series the ARIMA auto-ARIMA chose
(ML.ARIMA_EVALUATE) with its in-sample errors, the forecast of the first series and its decomposition
(ML.FORECAST, ML.EXPLAIN_FORECAST; plotted in the HTML card). model_card.py adds the overview, the lineage and
the version history every card has.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa

from sqlml.engine.functions import model_card
from sqlml.engine.functions.card_render import Lines, Section, Table, text_of
from sqlml.engine.sqltext.quoting import literal, quote_identifier
from sqlml.engine.store.model import Model

SHOWN = 20  # series listed in the card's tables
FORECAST_ROWS = 24  # forecast steps listed in the card's table (the plot has them all)
Run = Callable[..., pa.Table]  # as model_card.py's: run("FN", *args, where=...)


def specification(model: Model) -> Section:
    options = model.version.options
    estimator = model.estimator
    failed = estimator.table.num_rows - len(estimator.fitted())
    ids = options.get("time_series_id_col")
    what = (
        f"Forecasts {options['time_series_data_col']} at the times of {options['time_series_timestamp_col']}"
        + (f", one series per value of {', '.join(ids)}" if ids else ", one series")
        + (f", with the external regressors {', '.join(estimator.regressors)}" if estimator.regressors else "")
        + f"; up to {options['horizon']} steps ahead."
    )
    return Section(
        "Specification",
        [
            what,
            f"Series: {estimator.table.num_rows} ({estimator.table.num_rows - failed} fitted, {failed} failed).",
            *model_card.options_table(options),
        ],
    )


def intended_use(model: Model, description: str | None) -> Section:
    limits = [
        "Each series is forecast from its own past alone"
        + (" and the regressors' future values" if model.estimator.regressors else "")
        + ": events the history does not show (a new competitor, a pandemic) are not foreseen.",
        f"Forecasts reach {model.version.options['horizon']} steps at most (the horizon option); intervals widen "
        "with the steps and assume the ARIMA's errors are normal.",
        "A series that failed to fit is left out of every forecast (Metrics lists its error).",
    ]
    return Section("Intended use and limitations", [model_card.intended_use(description), "Limitations:", limits])


def results(model: Model, run: Run, given: str | None, plots: bool) -> list[Section]:
    """Metrics (per series), Forecast (the first series) and Explanations (its decomposition)."""
    estimator = model.estimator
    fitted = estimator.fitted()
    series = estimator.series()
    first = (*_first_series(model, fitted[0]), series[int(fitted[0])])
    return [
        _metrics(model, run, given, series),
        _forecast(model, run, first, plots),
        _explanations(model, run, first, plots),
    ]


def _metrics(model: Model, run: Run, given: str | None, series: list[dict]) -> Section:
    evaluated = run("ARIMA_EVALUATE").to_pylist()
    ids = model.estimator.id_names
    columns = [*ids, "non_seasonal_p", "non_seasonal_d", "non_seasonal_q", "has_drift", "AIC", "variance"]
    columns += ["seasonal_periods", "has_holiday_effect", "has_spikes_and_dips", "has_step_changes"]
    rows, failures = [], []
    for row, stored in zip(evaluated, series):
        if row["error_message"] is not None:
            failures.append(row["error_message"])  # it names the series
        elif len(rows) < SHOWN:
            residual = stored["residual"]
            rmse, mae = float(np.sqrt(np.mean(residual**2))), float(np.mean(np.abs(residual)))
            rows.append([*(row[c] for c in columns), rmse, mae, stored["interval_scale"]])
    fitted = len(series) - len(failures)
    blocks = [
        f"The ARIMA of each series (ML.ARIMA_EVALUATE; the first {min(SHOWN, fitted)} of {fitted} fitted), with "
        "its in-sample errors (the RMSE and MAE of its one-step-ahead residuals) and how much its held-out windows "
        "widened its prediction intervals (interval_scale: interval_backtest_windows).",
        Table([*columns, "in_sample_rmse", "in_sample_mae", "interval_scale"], rows),
    ]
    if failures:
        blocks += [f"Series that failed ({len(failures)}; ML.ARIMA_EVALUATE's error_message):", failures[:SHOWN]]
    if given is not None:
        table = run("EVALUATE", given)
        blocks += [f"ML.EVALUATE on {given}:", Table(table.column_names, [list(r.values()) for r in table.to_pylist()])]
    return Section("Metrics", blocks)


def _first_series(model: Model, position: int) -> tuple[str, str | None]:
    """(its name for the card, the WHERE condition picking its rows of ML.FORECAST's output) of a series."""
    ids = model.estimator.ids()
    if ids is None:
        return "the series", None
    values = {name: ids.column(name)[int(position)].as_py() for name in ids.column_names}
    where = " AND ".join(f"{quote_identifier(k)} IS NOT DISTINCT FROM {literal(v)}" for k, v in values.items())
    return "series " + ", ".join(f"{k} = {text_of(v)}" for k, v in values.items()), where


def _forecast(model: Model, run: Run, first: tuple, plots: bool) -> Section:
    name, where, stored = first
    horizon = model.version.options["horizon"]
    if model.estimator.regressors:
        return Section(
            "Forecast",
            [
                "An ARIMA_PLUS_XREG forecast needs the regressors' future values: "
                f"ML.FORECAST(MODEL m, STRUCT({horizon} AS horizon), TABLE future)."
            ],
        )
    ahead = run("FORECAST", f"STRUCT({horizon} AS horizon, 0.95 AS confidence_level)", where=where).to_pylist()
    columns = ["forecast_timestamp", "forecast_value", "prediction_interval_lower_bound"]
    columns.append("prediction_interval_upper_bound")
    blocks = [
        f"ML.FORECAST of {name} with 95% prediction intervals (the first {min(FORECAST_ROWS, len(ahead))} of "
        f"{len(ahead)} steps):",
        Table(columns, [[r[c] for c in columns] for r in ahead[:FORECAST_ROWS]]),
    ]
    if plots:
        blocks.append(_forecast_plot(name, stored, ahead))
    return Section("Forecast", blocks)


def _forecast_plot(name: str, stored: dict, ahead: list[dict]) -> Lines:
    """The history of a series (its stored row), then its forecast and interval (ML.FORECAST's rows)."""
    n, h = len(stored["data"]), len(ahead)
    times = [text_of(t) for t in stored["history_time"].astype("datetime64[us]").tolist()] + [
        text_of(r["forecast_timestamp"]) for r in ahead
    ]
    nothing_ahead, nothing_before = [None] * h, [None] * n
    return Lines(
        f"History and forecast of {name} (95% prediction interval)",
        times,
        {
            "history": [float(v) for v in stored["data"]] + nothing_ahead,
            "forecast": nothing_before + [r["forecast_value"] for r in ahead],
            "lower": nothing_before + [r["prediction_interval_lower_bound"] for r in ahead],
            "upper": nothing_before + [r["prediction_interval_upper_bound"] for r in ahead],
        },
        band=("lower", "upper"),
    )


COMPONENTS = ("trend", "seasonal", "holiday_effect", "spikes_and_dips", "step_changes", "residual")


def _explanations(model: Model, run: Run, first: tuple, plots: bool) -> Section:
    name, where, stored = first
    found = [
        f"seasonal periods: {', '.join(stored['seasonal_periods'])}",
        "holiday effects: " + (", ".join(stored["holiday_names"]) if stored["has_holiday_effect"] else "none"),
        f"spikes and dips: {'cleaned' if stored['has_spikes_and_dips'] else 'none'}",
        f"step changes: {'adjusted' if stored['has_step_changes'] else 'none'}",
    ]
    blocks = [
        f"What the pipeline found in {name}:",
        found,
        f"ML.EXPLAIN_FORECAST splits {name} into trend (the ARIMA), seasonal components (MSTL), holiday effects, "
        "spikes and dips, step changes and the residual: they add up to the data.",
    ]
    options = model.version.options
    if not plots:
        return Section("Explanations", blocks)
    if not options.get("decompose_time_series", True):
        blocks.append("Its decomposition is not shown: the model keeps none (decompose_time_series = FALSE).")
        return Section("Explanations", blocks)
    if model.estimator.regressors:
        blocks.append("Its decomposition is not shown: it needs the regressors' future values (ML.EXPLAIN_FORECAST).")
        return Section("Explanations", blocks)
    horizon = options["horizon"]
    explained = run("EXPLAIN_FORECAST", f"STRUCT({horizon} AS horizon, 0.95 AS confidence_level)", where=where)
    times = [text_of(t) for t in explained.column("time_series_timestamp").to_pylist()]
    for component, values in _components(explained).items():
        blocks.append(Lines(f"{component} of {name} (history, then forecast)", times, {component: values}))
    return Section("Explanations", blocks)


def _components(explained: pa.Table) -> dict[str, list]:
    """ML.EXPLAIN_FORECAST's decomposition columns the series has (not all NULL), seasonal ones summed."""
    seasonal = [
        c
        for c in explained.column_names
        if c.startswith("seasonal_period_") and explained[c].null_count < len(explained)
    ]
    parts = {}
    for component in COMPONENTS:
        if component == "seasonal":
            if seasonal:
                columns = [np.asarray(explained[c].to_pylist(), dtype=float) for c in seasonal]
                parts["seasonal"] = [None if np.isnan(v) else float(v) for v in sum(columns)]
        elif explained[component].null_count < len(explained):
            parts[component] = explained[component].to_pylist()
    return parts

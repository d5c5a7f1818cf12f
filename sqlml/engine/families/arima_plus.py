"""ARIMA_PLUS and ARIMA_PLUS_XREG: time-series forecasting models, many series in one model.

Options, defaults and ranges are BigQuery ML's
(https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-create-time-series and
https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-create-multivariate-time-series).
CREATE MODEL trains them on its own path (engine/forecasting/training.py: series, not feature rows); the model
is one Arrow table with a row per series (engine/forecasting/state.py); ML.FORECAST, ML.EXPLAIN_FORECAST,
ML.ARIMA_EVALUATE, ML.ARIMA_COEFFICIENTS, ML.EVALUATE and ML.DETECT_ANOMALIES read it.
"""

from __future__ import annotations

from sqlml.engine.families.base import Family
from sqlml.engine.families.common import COMPUTE
from sqlml.engine.families.options import Option
from sqlml.engine.forecasting.calendar import FREQUENCIES, REGION_COUNTRIES
from sqlml.errors import NotSupportedError, ProgrammingError

SEASONALITIES = ("AUTO", "NO_SEASONALITY", "DAILY", "WEEKLY", "MONTHLY", "QUARTERLY", "YEARLY")
# BigQuery ML's holiday regions: GLOBAL, four continental ones and 61 countries
COUNTRIES = (
    "AE AR AT AU BE BR CA CH CL CN CO CZ DE DK DZ EC EE EG ES FI FR GB GR HK HU ID IE IL IN IR IT JP KR LV MA MX "
    "MY NG NL NO NZ PE PH PK PL PT RO RS RU SA SE SG SI SK TH TR TW UA US VE VN ZA"
).split()
REGIONS = (*REGION_COUNTRIES, *COUNTRIES)
MAX_HORIZON = 10_000

COMMON = {
    "time_series_timestamp_col": Option("str", tunable=False),
    "time_series_data_col": Option("str", tunable=False),
    "time_series_id_col": Option("names", tunable=False),
    "horizon": Option("int", low=1, high=MAX_HORIZON, default=1000, tunable=False),
    "auto_arima": Option("bool", default=True, tunable=False),
    "auto_arima_max_order": Option("int", low=1, high=5, default=2, tunable=False),
    "auto_arima_min_order": Option("int", low=0, high=4, default=0, tunable=False),
    "non_seasonal_order": Option("int_triple", tunable=False),
    "data_frequency": Option("enum", FREQUENCIES, default="AUTO_FREQUENCY", tunable=False),
    "include_drift": Option("bool", tunable=False),  # None: FALSE, or auto-ARIMA's choice
    "holiday_region": Option("enum_set", REGIONS, tunable=False),
    "clean_spikes_and_dips": Option("bool", default=True, tunable=False),
    "adjust_step_changes": Option("bool", default=True, tunable=False),
    "time_series_length_fraction": Option("float", low=0.0, high=1.0, open_low=True, open_high=True, tunable=False),
    "min_time_series_length": Option("int", low=4, tunable=False),  # None: 20 (with time_series_length_fraction)
    "max_time_series_length": Option("int", low=4, tunable=False),
    "trend_smoothing_window_size": Option("int", low=1, tunable=False),
    # sqlml's: held-out windows whose errors widen the intervals (pipeline.interval_scale); 0: the ARIMA's own
    "interval_backtest_windows": Option("int", low=0, high=10, default=2, tunable=False),
    **COMPUTE,
}
ARIMA_PLUS = {
    **COMMON,
    "decompose_time_series": Option("bool", default=True, tunable=False),
    "forecast_limit_lower_bound": Option("float", tunable=False),
    "forecast_limit_upper_bound": Option("float", tunable=False),
    "seasonalities": Option("enum_set", SEASONALITIES, default=["AUTO"], tunable=False),
    "hierarchical_time_series_cols": Option("names", tunable=False),
}
XREG = {**COMMON, "l2_reg": Option("float", low=0.0, default=0.0, tunable=False)}


def columns(options: dict) -> None:
    for name in ("time_series_timestamp_col", "time_series_data_col"):
        if options[name] is None:
            raise ProgrammingError(f"OPTIONS: {name} is required for model_type {options['model_type'].upper()}")


def arima_order(options: dict) -> None:
    """auto_arima's orders, or non_seasonal_order with auto_arima = FALSE; drift only with d = 1 then."""
    if options["auto_arima"]:
        if options["non_seasonal_order"] is not None:
            raise ProgrammingError("OPTIONS: non_seasonal_order needs auto_arima = FALSE")
        if options["include_drift"] is not None:
            raise ProgrammingError("OPTIONS: include_drift needs auto_arima = FALSE (auto-ARIMA decides on drift)")
        if options["auto_arima_min_order"] >= options["auto_arima_max_order"]:
            raise ProgrammingError(
                f"OPTIONS: auto_arima_min_order ({options['auto_arima_min_order']}) must be less than "
                f"auto_arima_max_order ({options['auto_arima_max_order']})"
            )
        return
    order = options["non_seasonal_order"]
    if order is None:
        raise ProgrammingError("OPTIONS: auto_arima = FALSE needs non_seasonal_order = (p, d, q)")
    p, d, q = order
    if not (0 <= p <= 5 and 0 <= d <= 2 and 0 <= q <= 5):
        raise ProgrammingError(
            f"OPTIONS: non_seasonal_order needs p and q in [0, 5] and d in [0, 2], got {tuple(order)}"
        )
    if options["include_drift"] and d != 1:
        raise ProgrammingError(f"OPTIONS: include_drift = TRUE needs d = 1 in non_seasonal_order, got d = {d}")
    if options["time_series_id_col"] is not None and options["model_type"] == "arima_plus":
        raise ProgrammingError("OPTIONS: many series (time_series_id_col) need auto_arima = TRUE")


def lengths(options: dict) -> None:
    """time_series_length_fraction [with min_time_series_length], or max_time_series_length alone."""
    fraction, least = options["time_series_length_fraction"], options["min_time_series_length"]
    most = options["max_time_series_length"]
    if most is not None and (fraction is not None or least is not None):
        raise ProgrammingError(
            "OPTIONS: max_time_series_length cannot be combined with time_series_length_fraction or "
            "min_time_series_length"
        )
    if least is not None and fraction is None:
        raise ProgrammingError("OPTIONS: min_time_series_length needs time_series_length_fraction")


def seasonalities(options: dict) -> None:
    chosen = options["seasonalities"]
    if len(chosen) > 1 and {"AUTO", "NO_SEASONALITY"} & set(chosen):
        raise ProgrammingError(f"OPTIONS: seasonalities AUTO and NO_SEASONALITY stand alone, got {chosen}")


def limits(options: dict) -> None:
    low, high = options["forecast_limit_lower_bound"], options["forecast_limit_upper_bound"]
    if low is not None and high is not None and high <= low:
        raise ProgrammingError(
            f"OPTIONS: forecast_limit_upper_bound ({high:g}) must be above forecast_limit_lower_bound ({low:g})"
        )
    if options["hierarchical_time_series_cols"] is not None:
        raise NotSupportedError(
            "OPTIONS: hierarchical_time_series_cols (bottom-up reconciliation of series) is not supported; train "
            "one model over the series of each level"
        )


def _load(data: bytes, n_classes: int):
    from sqlml.engine.forecasting.state import ForecastModel

    return ForecastModel.load(data, n_classes)


FAMILIES = (
    Family(
        "arima_plus",
        "forecasting",
        ARIMA_PLUS,
        load=_load,
        artifact_format="arrow",
        rules=(columns, arima_order, lengths, seasonalities, limits),
        cluster_trainer="series",
    ),
    Family(
        "arima_plus_xreg",
        "forecasting",
        XREG,
        load=_load,
        artifact_format="arrow",
        rules=(columns, arima_order, lengths),
        cluster_trainer="series",
    ),
)

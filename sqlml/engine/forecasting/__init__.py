"""Time-series forecasting (model_type ARIMA_PLUS and ARIMA_PLUS_XREG): the calendar of a series, the
adjustments sqlml writes itself (holiday effects, spikes and dips, step changes), the per-series pipeline on
statsforecast (MSTL, AutoARIMA), the stored state of a trained model, and CREATE MODEL's path over many series."""

"""Forecasting engine: ETS, Theta, ARIMA, naive models, their combination and auto choice.

Plain functions on JSON-style dicts, meant to be wrapped as tasks:
``forecast_series(spec)`` -> result dict, ``validate_series(spec)`` -> normalised spec,
``fit_series_model(spec)`` -> fitted model for simulations, and the ``smape``/``mase`` metrics.
"""

from app.workflows.forecast.errors import ForecastInputError
from app.workflows.forecast.validation import validate_series
from workers.forecast.engine.engine import fit_series_model, forecast_series
from workers.forecast.engine.metrics import mase, smape

__all__ = [
    "ForecastInputError",
    "fit_series_model",
    "forecast_series",
    "mase",
    "smape",
    "validate_series",
]

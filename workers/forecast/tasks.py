"""Steps of the ``forecast`` workflow."""

from __future__ import annotations

from app.settings import get_settings
from app.workflows.forecast import steps as forecast_steps
from workers.forecast.engine import forecast_series
from workers.forecast.engine.scenario_paths import scenario_forecast
from workers.runtime.job_step import job_task
from workers.runtime.series_parts import gathered_series


@job_task(forecast_steps.SERIES_BATCH, keep_output=True)
def series_batch(self, series: list[dict], offset: int) -> dict:
    results = []
    window = get_settings().forecast_fit_window
    for spec in series:
        self.check_cancelled()
        name = spec["name"]
        results.append({"name": name, **forecast_series(
            {k: v for k, v in spec.items() if k != "name"}, fit_window=window)})
    return {"offset": offset, "results": results}


@job_task(forecast_steps.GATHER, ignore_result=True,
          final=True, soft_time_limit=120, time_limit=180)
def gather(self, _header_results, n_series: int) -> dict:
    results = gathered_series(self.outputs(), n_series, "series forecasts present")
    return {"series": results, "count": n_series}


@job_task(forecast_steps.SCENARIO, ignore_result=True,
          final=True)
def scenario(self, spec: dict) -> dict:
    return scenario_forecast(spec, fit_window=get_settings().forecast_fit_window)

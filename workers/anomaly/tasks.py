"""Steps of the ``anomaly`` workflow."""

from __future__ import annotations

from app.workflows.anomaly import steps as anomaly_steps
from workers.anomaly.engine import detect_series
from workers.runtime.job_step import job_task
from workers.runtime.series_parts import gathered_series


@job_task(anomaly_steps.SERIES_BATCH, keep_output=True)
def series_batch(self, series: list[dict], offset: int) -> dict:
    results = []
    for spec in series:
        self.check_cancelled()
        results.append({"name": spec["name"], **detect_series(
            {k: v for k, v in spec.items() if k != "name"})})
    return {"offset": offset, "results": results}


@job_task(anomaly_steps.GATHER, ignore_result=True,
          final=True, soft_time_limit=120, time_limit=180)
def gather(self, _header_results, n_series: int) -> dict:
    results = gathered_series(self.outputs(), n_series, "series examined")
    return {"series": results, "count": n_series,
            "anomalies": sum(len(r["anomalies"]) for r in results)}

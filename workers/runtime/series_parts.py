"""The fan-in of a per-series group (forecast, anomaly): the batches' results put back in the
order of the submitted series, and a retry when one is missing."""

from __future__ import annotations

from workers.runtime.errors import TransientError


def gathered_series(outputs: dict, n_series: int, what: str) -> list[dict]:
    """Every ``series-…`` step's results, by offset; ``TransientError`` (so the step is retried)
    unless all ``n_series`` are there. ``what`` names them in the error."""
    parts = sorted((out for step, out in outputs.items() if step.startswith("series-")),
                   key=lambda part: part["offset"])
    results = [r for part in parts for r in part["results"]]
    if len(results) != n_series:
        raise TransientError(f"{len(results)} of {n_series} {what}")
    return results

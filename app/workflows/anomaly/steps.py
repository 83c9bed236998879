"""The steps of ``anomaly``: task names and queues (see :mod:`app.workflows.steps`)."""

from app.workflows.steps import declare

SERIES_BATCH = declare("dia3.anomaly.series_batch", "analytics")
GATHER = declare("dia3.anomaly.gather", "analytics")

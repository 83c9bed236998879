"""The steps of ``forecast`` and ``scenario_forecast``: task names and queues (see
:mod:`app.workflows.steps`)."""

from app.workflows.steps import declare

SERIES_BATCH = declare("dia3.forecast.series_batch", "analytics")
GATHER = declare("dia3.forecast.gather", "analytics")
SCENARIO = declare("dia3.forecast.scenario", "analytics")

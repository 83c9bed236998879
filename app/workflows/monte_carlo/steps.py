"""The steps of ``monte_carlo``: task names and queues (see :mod:`app.workflows.steps`)."""

from app.workflows.steps import declare

SHARD = declare("dia3.montecarlo.shard", "analytics")
MERGE = declare("dia3.montecarlo.merge", "analytics")

"""The steps of ``sentiment``: task names and queues (see :mod:`app.workflows.steps`)."""

from app.workflows.steps import declare

SCORE_BATCH = declare("dia3.sentiment.score_batch", "agents")
AGGREGATE = declare("dia3.sentiment.aggregate", "agents")

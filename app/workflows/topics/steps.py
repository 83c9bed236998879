"""The step of ``topics``: task name and queue (see :mod:`app.workflows.steps`)."""

from app.workflows.steps import declare

FIND = declare("dia3.topics.find", "analytics")

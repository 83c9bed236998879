"""``anomaly``: anomalies and change points of one or many series.

Importing this package registers the workflow; ``steps`` declares its steps, and
``workers/anomaly/`` holds the tasks and the engine."""

from app.workflows.anomaly import workflow  # noqa: F401  (registers the workflow)

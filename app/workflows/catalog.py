"""The capabilities that ship with DIA3.

Each capability has one folder of the same name on both sides: ``app/workflows/<name>/``
(params schemas, canvases, step declarations) and ``workers/<name>/`` (``tasks.py``, the
thin Celery wrappers, and ``engine/``, the plain functions they call). Importing
``app.workflows.<name>`` registers its workflows; workers import ``workers.<name>.tasks``.
"""

CAPABILITIES = ("sentiment", "forecast", "anomaly", "monte_carlo", "knowledge",
                "strategic_analysis", "summarize", "smoke", "topics", "pipeline")

#: What workers run besides workflows' steps: ``app.<name>.steps`` declares their tasks,
#: ``workers.<name>.tasks`` registers them (webhook deliveries).
SERVICES = ("webhooks",)


def task_modules() -> list[str]:
    """The modules that register every capability's and service's tasks (the worker's
    ``include``)."""
    return [f"workers.{name}.tasks" for name in (*CAPABILITIES, *SERVICES)]

"""``forecast`` and ``scenario_forecast``: forecasts with intervals and backtests, and a fitted
forecast's simulated future paths.

Importing this package registers its workflows; ``steps`` declares their steps, and
``workers/forecast/`` holds the tasks and the engine."""

from app.workflows.forecast import scenario, workflow  # noqa: F401  (registers the workflows)

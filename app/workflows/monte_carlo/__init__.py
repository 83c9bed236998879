"""``monte_carlo``: GBM, bootstrap and scenario simulation, sharded across workers.

Importing this package registers its workflows; ``steps`` declares their steps, and
``workers/monte_carlo/`` holds the tasks and the engine."""

from app.workflows.monte_carlo import workflow  # noqa: F401  (registers the workflows)

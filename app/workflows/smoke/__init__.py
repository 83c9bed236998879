"""``smoke``: three trivial steps, to check a deployment.

Importing this package registers its workflows; ``steps`` declares their steps, and
``workers/smoke/`` holds the tasks and the engine."""

from app.workflows.smoke import workflow  # noqa: F401  (registers the workflows)

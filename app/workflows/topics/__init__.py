"""``topics``: topic discovery over a knowledge-base collection or a list of texts.

Importing this package registers its workflow; ``steps`` declares its step, and
``workers/topics/`` holds the task and the engine."""

from app.workflows.topics import workflow  # noqa: F401  (registers the workflow)

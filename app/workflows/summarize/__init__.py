"""``summarize``: summary and key points of a text or a knowledge-base document.

Importing this package registers its workflows; ``steps`` declares their steps, and
``workers/summarize/`` holds the tasks and the engine."""

from app.workflows.summarize import workflow  # noqa: F401  (registers the workflows)

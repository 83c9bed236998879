"""``sentiment``: VADER or LLM sentiment of many texts, scored in batches and aggregated.

Importing this package registers its workflows; ``steps`` declares their steps, and
``workers/sentiment/`` holds the tasks and the engine."""

from app.workflows.sentiment import workflow  # noqa: F401  (registers the workflows)

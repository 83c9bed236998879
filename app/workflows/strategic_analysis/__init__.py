"""``strategic_analysis``: analyst agents per perspective, a critic and a synthesiser over
retrieved evidence.

Importing this package registers its workflows; ``steps`` declares their steps, and
``workers/strategic_analysis/`` holds the tasks and the engine."""

from app.workflows.strategic_analysis import workflow  # noqa: F401  (registers the workflows)

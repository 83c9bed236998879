"""``pipeline``: a DAG of stages, each a child job of another workflow.

Importing this package registers the workflow; ``steps`` declares its advance, ``dag``
checks the stages, ``runner`` advances a pipeline, and ``workers/pipeline/`` holds the
task."""

from app.workflows.pipeline import workflow  # noqa: F401  (registers the workflow)

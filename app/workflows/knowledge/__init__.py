"""The knowledge base: ``ingest`` and ``youtube`` workflows, collections, the Chroma store,
embedders and staged uploads.

Importing this package registers its workflows; ``steps`` declares their steps, and
``workers/knowledge/`` holds the tasks and the engine."""

from app.workflows.knowledge import ingest, youtube  # noqa: F401  (registers the workflows)

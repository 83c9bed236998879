"""Steps of ``ingest`` and ``youtube``: thin wrappers over ``workers.knowledge.ingestion``,
``workers.knowledge.transcripts`` and the engine in ``workers.knowledge.engine``."""

from workers.knowledge.tasks import ingest, youtube  # noqa: F401  (registers the tasks)

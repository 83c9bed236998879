"""The steps of ``ingest`` and ``youtube``: task names and queues (see
:mod:`app.workflows.steps`)."""

from app.workflows.steps import declare

INGEST_DOCUMENT = declare("dia3.ingest.document", "ingest")
INGEST_SUMMARISE = declare("dia3.ingest.summarise", "ingest")
YOUTUBE_TRANSCRIPT = declare("dia3.youtube.transcript", "ingest")
YOUTUBE_INDEX = declare("dia3.youtube.index", "ingest")
YOUTUBE_ANALYSE = declare("dia3.youtube.analyse", "ingest")
YOUTUBE_REPORT = declare("dia3.youtube.report", "ingest")

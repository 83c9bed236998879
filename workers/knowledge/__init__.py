"""Knowledge-base engine: plain Python, no task queue or web framework.

Modules, each with one job:

- ``errors``         exception classes with codes, HTTP hints and ``to_dict()``
- ``embeddings``     pluggable embedders (``make_embedder``: local, ollama, openai, hashing)
- ``extract``        text out of txt/md/html/pdf uploads, rejecting bad files
- ``chunking``       token-aware chunks with overlap; timed segments keep their times
- ``ids``            content-derived document and chunk ids
- ``chroma_client``  embedded or server Chroma behind one factory
- ``store``          tenant-scoped collections: ingest, list, delete, search
- ``ingest``         file/text -> chunks -> collection pipelines
- ``youtube``        video URL parsing, transcripts, error triage, transcript indexing
- ``ratelimit``      a Redis quota shared by all workers
- ``summary``        extractive key sentences with timestamps
- ``timeline``       sentiment over a timed transcript, per time window
- ``replay``         recorded YouTube responses served through a ``requests`` adapter

Nothing is imported here, so importing one module does not load the others' heavy
dependencies (onnxruntime, chromadb, HTTP clients).
"""

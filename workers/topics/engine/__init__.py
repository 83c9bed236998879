"""Topic discovery: texts and their sentence embeddings in, topics out.

Plain functions meant to be wrapped as tasks: ``find_topics(texts, vectors, k, seed)`` ->
result dict (topics with c-TF-IDF keyword labels, sizes and representative texts, and one
topic id per input in input order). The caller embeds the texts (a collection's stored
vectors or the collection's embedder), so the engine itself loads no model.
"""

from workers.topics.engine.engine import find_topics

__all__ = ["find_topics"]

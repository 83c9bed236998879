"""Knowledge ingestion and search: chunks/s embedded and stored with the local model, and
search latency at 10,000 and 100,000 chunks.

    python -m benchmarks.ingest [--server] [--ingest-chunks 3000] [--sizes 10000,100000]

Ingest: synthetic chunks (pre-chunked, so chunking is not timed) go through
``KnowledgeCollection.add_document`` with the local all-MiniLM-L6-v2 embedder into an
in-process Chroma store, or with ``--server`` into a local Chroma server as DIA3 runs it;
measured at three chunk lengths.

Search: building a 100,000-chunk index with the real model would take most of an hour on
two cores, so the index vectors are derived cheaply from real model vectors (each stored
vector is a normalised mix of two vectors the model produced in the ingest phase, plus
noise), which keeps the distribution of a real index. Searches use the real model:
``end_to_end`` embeds the query with the local model and then searches; ``vector_only``
times the store query alone with a precomputed query vector.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from app.workflows.knowledge.chroma_client import connect_chroma
from app.workflows.knowledge.embeddings.base import Embedder
from app.workflows.knowledge.embeddings.local import LocalEmbedder
from app.workflows.knowledge.models import DocumentInput
from app.workflows.knowledge.store import KnowledgeCollection, KnowledgeStore
from benchmarks.report import percentile, print_table, save
from workers.knowledge.engine.chunking import Chunk

CHUNKS_PER_DOCUMENT = 100
SUBJECTS = ["the warehouse robot", "our billing service", "the night train", "a solar farm",
            "the city library", "the mobile app", "a coffee roaster", "the support team",
            "the weather station", "a hospital ward", "the football club", "the data centre"]
VERBS = ["reported", "reduced", "delayed", "improved", "measured", "replaced", "scheduled",
         "reviewed", "doubled", "cancelled", "monitored", "upgraded"]
OBJECTS = ["energy use", "response times", "the monthly invoices", "its maintenance plan",
           "visitor numbers", "battery health", "customer complaints", "the opening hours",
           "rainfall totals", "patient waiting times", "ticket prices", "network traffic"]
FILLER = ["after the spring review", "because demand kept rising", "during the night shift",
          "according to the latest audit", "despite a tight budget", "for the third time",
          "while the old system was retired", "as the regional manager requested"]


def synthetic_text(rng: random.Random, sentences: int) -> str:
    return " ".join(
        f"{rng.choice(SUBJECTS).capitalize()} {rng.choice(VERBS)} {rng.choice(OBJECTS)} "
        f"{rng.choice(FILLER)}, note {rng.randrange(10_000)}."
        for _ in range(sentences)
    )


class RecordingEmbedder(Embedder):
    """Times another embedder and keeps the vectors it returned."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.seconds = 0.0
        self.vectors: list[np.ndarray] = []

    @property
    def identity(self) -> str:
        return self.inner.identity

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        started = time.perf_counter()
        vectors = self.inner.embed(texts)
        self.seconds += time.perf_counter() - started
        self.vectors.append(vectors)
        return vectors


class LookupEmbedder(Embedder):
    """Returns precomputed vectors under the local model's identity (the cheap index path)."""

    def __init__(self, identity: str, table: dict[str, np.ndarray]) -> None:
        self._identity = identity
        self.table = table

    @property
    def identity(self) -> str:
        return self._identity

    @property
    def dimension(self) -> int:
        return len(next(iter(self.table.values())))

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self.table[text] for text in texts])


def add_chunks(collection: KnowledgeCollection, texts: list[str], first_doc: int) -> None:
    for start in range(0, len(texts), CHUNKS_PER_DOCUMENT):
        part = texts[start : start + CHUNKS_PER_DOCUMENT]
        chunks = [Chunk(i, text, 0, len(text), len(text.split())) for i, text in
                  enumerate(part)]
        number = first_doc + start // CHUNKS_PER_DOCUMENT
        collection.add_document(DocumentInput(f"bench-{number}", title=f"Doc {number}"), chunks)


def measure_ingest(store: KnowledgeStore, local: LocalEmbedder, count: int,
                   sentences: int, seed: int) -> tuple[dict, np.ndarray]:
    rng = random.Random(seed)
    texts = list(dict.fromkeys(synthetic_text(rng, sentences) for _ in range(count)))
    recorder = RecordingEmbedder(local)
    collection = store.create_collection("bench", f"ingest-{sentences}", recorder)
    started, cpu_started = time.perf_counter(), time.process_time()
    add_chunks(collection, texts, 0)
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    tokens = [len(local.tokenizer.encode(t).ids) for t in texts[:500]]
    result = {
        "chunks": len(texts),
        "sentences_per_chunk": sentences,
        "mean_tokens_per_chunk": round(float(np.mean(tokens)), 1),
        "seconds": round(seconds, 2),
        "chunks_per_s": round(len(texts) / seconds, 1),
        "embed_chunks_per_s": round(len(texts) / recorder.seconds, 1),
        "embed_share": round(recorder.seconds / seconds, 3),
        # CPU time is far less sensitive than wall time to other processes on a shared
        # machine; cores / CPU-seconds-per-chunk is what idle cores could sustain.
        "cpu_ms_per_chunk": round(cpu_seconds / len(texts) * 1000, 2),
        "idle_cores_projection_chunks_per_s": round(os.cpu_count() * len(texts) / cpu_seconds,
                                                    1),
    }
    return result, np.concatenate(recorder.vectors)


def derived_vectors(pool: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """Normalised mixes of two real model vectors plus noise."""
    first = pool[rng.integers(0, len(pool), count)]
    second = pool[rng.integers(0, len(pool), count)]
    mixed = first + 0.5 * second + rng.normal(0, 0.02, (count, pool.shape[1]))
    return (mixed / np.linalg.norm(mixed, axis=1, keepdims=True)).astype(np.float32)


def grow_index(store: KnowledgeStore, local: LocalEmbedder, pool: np.ndarray, have: int,
               want: int, seed: int) -> float:
    rng = random.Random(seed + want)
    texts = [f"{synthetic_text(rng, 1)} [{i}]" for i in range(have, want)]
    vectors = derived_vectors(pool, len(texts), np.random.default_rng(seed + want))
    cheap = LookupEmbedder(local.identity, dict(zip(texts, vectors, strict=True)))
    collection = store.open_collection("bench", "search", cheap)
    started = time.perf_counter()
    add_chunks(collection, texts, have // CHUNKS_PER_DOCUMENT)
    return time.perf_counter() - started


def measure_search(store: KnowledgeStore, local: LocalEmbedder, queries: list[str],
                   k: int) -> dict:
    end_to_end = store.open_collection("bench", "search", local)
    query_vectors = dict(zip(queries, local.embed(queries), strict=True))
    vector_only = store.open_collection("bench", "search",
                                        LookupEmbedder(local.identity, query_vectors))
    for query in queries[:10]:  # warm caches and the index
        end_to_end.search(query, k=k)
    timings: dict[str, list[float]] = {"end_to_end": [], "vector_only": []}
    for query in queries:
        for name, collection in (("end_to_end", end_to_end), ("vector_only", vector_only)):
            started = time.perf_counter()
            hits = collection.search(query, k=k)
            timings[name].append((time.perf_counter() - started) * 1000)
            assert len(hits) == k
    return {
        name: {"p50_ms": round(percentile(values, 50), 2),
               "p95_ms": round(percentile(values, 95), 2),
               "p99_ms": round(percentile(values, 99), 2)}
        for name, values in timings.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ingest-chunks", type=int, default=3000)
    parser.add_argument("--chunk-sentences", default="1,4,12",
                        help="chunk lengths to measure, in synthetic sentences")
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--threads", type=int, default=None,
                        help="onnxruntime intra-op threads (default: all cores)")
    parser.add_argument("--server", action="store_true",
                        help="use a local Chroma server, as DIA3 runs it, instead of the "
                             "in-process store")
    parser.add_argument("--store", type=Path, default=None,
                        help="Chroma folder (default: a temporary one)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    local = LocalEmbedder(threads=args.threads)
    local.warm_up()
    local.embed(["warm up"] * 64)
    folder = args.store or Path(tempfile.mkdtemp(prefix="kb-bench-"))
    server = None
    if args.server:
        from app.runtime.embedded_chroma import EmbeddedChroma
        from app.runtime.ports import free_port
        server = EmbeddedChroma(folder, free_port("127.0.0.1"))
        store = KnowledgeStore(connect_chroma(url=server.start(), token=server.token))
    else:
        store = KnowledgeStore(connect_chroma(path=folder))
    try:
        run(args, local, store)
    finally:
        if server is not None:
            server.stop()


def run(args: argparse.Namespace, local: LocalEmbedder, store: KnowledgeStore) -> None:
    ingest_rows, pool = [], []
    for sentences in (int(s) for s in args.chunk_sentences.split(",")):
        count = args.ingest_chunks if sentences == 1 else max(300, args.ingest_chunks // sentences)
        result, vectors = measure_ingest(store, local, count, sentences, args.seed)
        ingest_rows.append(result)
        pool.append(vectors)
        print(f"ingest {sentences} sentence(s)/chunk: {result['chunks_per_s']} chunks/s",
              flush=True)

    store.create_collection("bench", "search", local)
    pool_vectors = np.concatenate(pool)
    rng = random.Random(args.seed)
    queries = [f"what did {rng.choice(SUBJECTS)} do about {rng.choice(OBJECTS)}"
               f" {rng.choice(FILLER)}?" for _ in range(args.queries)]
    search_rows, have = [], 0
    for size in sorted(int(s) for s in args.sizes.split(",")):
        build_seconds = grow_index(store, local, pool_vectors, have, size, args.seed)
        have = size
        latency = measure_search(store, local, queries, args.k)
        search_rows.append({"chunks": size, "index_build_s": round(build_seconds, 1),
                            **latency})
        print(f"search at {size} chunks: {latency}", flush=True)

    where = "Chroma server" if args.server else "in-process Chroma"
    print_table(f"Ingest (local all-MiniLM-L6-v2, {where})",
                ["chunk", "tokens/chunk", "chunks", "chunks/s", "embed-only chunks/s",
                 "embed share", "CPU ms/chunk", "idle-cores chunks/s"],
                [[f"{r['sentences_per_chunk']} sent.", r["mean_tokens_per_chunk"], r["chunks"],
                  r["chunks_per_s"], r["embed_chunks_per_s"], r["embed_share"],
                  r["cpu_ms_per_chunk"], r["idle_cores_projection_chunks_per_s"]]
                 for r in ingest_rows])
    print_table(f"Search latency, k={args.k}, {args.queries} queries (ms)",
                ["chunks", "e2e p50", "e2e p95", "vector p50", "vector p95", "build s"],
                [[r["chunks"], r["end_to_end"]["p50_ms"], r["end_to_end"]["p95_ms"],
                  r["vector_only"]["p50_ms"], r["vector_only"]["p95_ms"], r["index_build_s"]]
                 for r in search_rows])
    save("ingest", {
        "model": local.identity,
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "threads": args.threads,
        "store": "server" if args.server else "in-process",
        "index_vectors": "derived from real model vectors (see module docstring)",
        "ingest": ingest_rows,
        "search": search_rows,
        "targets": {"ingest_chunks_per_s": 400, "search_p95_ms_at_100k": 50},
    })


if __name__ == "__main__":
    main()

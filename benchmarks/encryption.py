"""What encryption at rest costs: submit latency, result reads and ingest rate, with it off
and on, interleaved in the same run.

    python -m benchmarks.encryption [--rounds 5] [--submits 40] [--reads 40] [--chunks 2000]

- ``submit``: ``POST /api/v1/jobs`` of a sentiment job of 250 review-sized texts (about
  25 KB of params) through the API's WSGI app: validation, the job store's script and the
  step messages to the broker, sealed (params, messages) or not;
- ``result read``: ``GET /api/v1/jobs/<id>/result`` of a 200 KB result kept in Redis and of
  a 2 MB result kept in a file, opened or not;
- ``ingest``: chunks/s through ``KnowledgeCollection.add_document`` with the hashing
  embedder (so embedding does not hide the storage cost) into an in-process Chroma, texts
  sealed or not.

Each round runs both variants, in turns (off first, then on first), after a few untimed
calls that open their connections. It claims a free database of the Redis on 127.0.0.1:6379
(or runs an embedded one); nothing runs the submitted jobs.
"""

from __future__ import annotations

import argparse
import base64
import os
import random
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from benchmarks.report import percentile, print_table, save
from benchmarks.stack import private_redis

VARIANTS = ("off", "on")
WORDS = ("great", "awful", "service", "value", "delivery", "staff", "price", "quality",
         "late", "friendly", "broken", "fast", "support", "refund", "again", "never")


def review(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(16))


class Variant:
    """The API app and stores of one setting of encryption (a process state each)."""

    def __init__(self, name: str):
        self.name = name
        self.activate()
        from app.api import create_app
        self.client = create_app().test_client()
        assert self.envelope.enabled == (name == "on")

    @property
    def store(self):
        from app.extensions import job_store
        return job_store()

    @property
    def envelope(self):
        from app.extensions import envelope
        return envelope()

    def activate(self) -> None:
        """This variant's settings and process-wide services (stores, Celery's serializer)."""
        from app import extensions
        from app.settings import reload_settings
        if self.name == "on":
            os.environ["DIA3_ENCRYPTION_KEY"] = KEY
        else:
            os.environ.pop("DIA3_ENCRYPTION_KEY", None)
        reload_settings()
        extensions.reset()


KEY = base64.b64encode(os.urandom(32)).decode()


def submit_latencies(variant: Variant, n: int, rng: random.Random, admin: str) -> list[float]:
    body = {"workflow": "sentiment", "params": {"texts": [review(rng) for _ in range(250)]}}
    out = []
    for _ in range(n):
        start = time.perf_counter()
        response = variant.client.post("/api/v1/jobs", json=body,
                                       headers={"X-API-Key": admin})
        out.append(time.perf_counter() - start)
        assert response.status_code == 202, response.get_json()
    return out


def finished_job(variant: Variant, size: int, rng: random.Random) -> str:
    job_id = uuid.uuid4().hex
    variant.store.create(job_id=job_id, workflow="smoke", tenant="bench", owner="admin",
                         params={}, steps_total=1, tasks={})
    rows = [review(rng) for _ in range(size // 100)]
    variant.store.finish(job_id, "only", {"rows": rows}, 0.0)
    return job_id


def read_latencies(variant: Variant, job_id: str, n: int, admin: str) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        response = variant.client.get(f"/api/v1/jobs/{job_id}/result",
                                      headers={"X-API-Key": admin})
        out.append(time.perf_counter() - start)
        assert response.status_code == 200
    return out


def ingest_rate(variant: Variant, chunks: int, folder: Path, rng: random.Random) -> float:
    from app.workflows.knowledge.chroma_client import connect_chroma
    from app.workflows.knowledge.embeddings.hashing import HashingEmbedder
    from app.workflows.knowledge.models import Chunk, DocumentInput
    from app.workflows.knowledge.store import KnowledgeStore
    store = KnowledgeStore(connect_chroma(path=folder), embed_batch_size=64,
                           envelope=variant.envelope if variant.name == "on" else None)
    collection = store.create_collection("bench", f"c{uuid.uuid4().hex[:8]}",
                                         HashingEmbedder(256))
    texts = [" ".join(review(rng) for _ in range(8)) for _ in range(chunks)]
    start = time.perf_counter()
    for first in range(0, chunks, 100):
        part = texts[first:first + 100]
        pieces = [Chunk(i, t, 0, len(t), len(t.split())) for i, t in enumerate(part)]
        collection.add_document(DocumentInput(document_id=f"d{first}"), pieces)
    return chunks / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--submits", type=int, default=40)
    parser.add_argument("--reads", type=int, default=40)
    parser.add_argument("--chunks", type=int, default=2000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="dia3-bench-enc-"))
    with private_redis(tmp) as url:
        admin = "bench-" + uuid.uuid4().hex
        os.environ.update({"DIA3_REDIS_URL": url, "DIA3_DATA_DIR": str(tmp),
                           "DIA3_ADMIN_API_KEY": admin, "DIA3_LOG_LEVEL": "WARNING",
                           "DIA3_QUEUE_MAX_DEPTH": "0", "DIA3_RATE_LIMIT_ADMIN": ""})
        os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
        rng = random.Random(7)
        variants = {name: Variant(name) for name in VARIANTS}
        samples: dict[str, dict[str, list[float]]] = {
            name: {"submit": [], "read_redis": [], "read_file": [], "ingest": []}
            for name in VARIANTS}
        for number in range(args.rounds):  # interleaved, in turns: load hits both alike
            for name in VARIANTS if number % 2 == 0 else VARIANTS[::-1]:
                variant = variants[name]
                variant.activate()
                submit_latencies(variant, 3, rng, admin)  # connections made, not timed
                got = samples[name]
                got["submit"] += submit_latencies(variant, args.submits, rng, admin)
                small = finished_job(variant, 200_000, rng)
                large = finished_job(variant, 2_000_000, rng)
                assert variant.store.get(large).result_ref["kind"] == "file"
                got["read_redis"] += read_latencies(variant, small, args.reads, admin)
                got["read_file"] += read_latencies(variant, large, max(5, args.reads // 4),
                                                   admin)
                got["ingest"].append(ingest_rate(variant, args.chunks, tmp / f"chroma-{name}",
                                                 rng))
        rows, report = [], {}
        for metric, label in (("submit", "submit, 250 texts (ms)"),
                              ("read_redis", "result read, 200 KB in Redis (ms)"),
                              ("read_file", "result read, 2 MB file (ms)")):
            off = [v * 1000 for v in samples["off"][metric]]
            on = [v * 1000 for v in samples["on"][metric]]
            p50 = statistics.median(off), statistics.median(on)
            p95 = percentile(off, 95), percentile(on, 95)
            rows.append([label, p50[0], p50[1], f"{(p50[1] / p50[0] - 1) * 100:+.1f}%",
                         p95[0], p95[1]])
            report[metric] = {"off_p50_ms": p50[0], "on_p50_ms": p50[1], "off_p95_ms": p95[0],
                              "on_p95_ms": p95[1], "samples": len(off)}
        off, on = (statistics.median(samples[n]["ingest"]) for n in VARIANTS)
        rows.append(["ingest (chunks/s, median of rounds)", off, on,
                     f"{(on / off - 1) * 100:+.1f}%", "", ""])
        report["ingest"] = {"off_chunks_per_s": off, "on_chunks_per_s": on,
                            "rounds": args.rounds, "chunks": args.chunks}
        print_table("Encryption at rest: off vs on, same run",
                    ["measure", "off p50", "on p50", "change", "off p95", "on p95"], rows)
        save("encryption", {"args": vars(args), "load_average": os.getloadavg(),
                            "results": report})


if __name__ == "__main__":
    main()

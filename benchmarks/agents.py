"""Strategic-analysis throughput and agent overlap: the local backend and a stub LLM server
with a fixed 200 ms latency, on 1 and 2 prefork worker processes and a threads pool.

    python -m benchmarks.agents [--jobs 6]

The perspectives of one job run as a Celery group, so with enough worker slots their wall time
should be close to the slowest agent, not the sum of all of them.
"""

from __future__ import annotations

import argparse
import os
import time
import uuid

import requests

from benchmarks.report import print_table, save
from benchmarks.stack import Stack, free_port

DOCS = [
    "Acme reported record revenue in Europe, but rising interest rates may slow growth.",
    "EU regulators are increasing scrutiny; new rules threaten large fines.",
    "A new battery technology cuts production costs; the company plans to expand into Asia.",
    "A data breach caused losses and lawsuits; customers are wary of online services.",
    "Competition from Globex is eroding margins; analysts advise diversifying suppliers.",
]
SETUPS = [("prefork, 1 process", ("-Q", "agents,default", "-c", "1")),
          ("prefork, 2 processes", ("-Q", "agents,default", "-c", "2")),
          ("threads, 1 process x 8", ("-Q", "agents,default", "-P", "threads", "-c", "8"))]


def populate(stack: Stack) -> tuple[str, str]:
    """A tenant key and a collection with the documents (through the knowledge service)."""
    os.environ.update({k: v for k, v in stack.env.items() if k.startswith("DIA3_")})
    from app.extensions import key_store
    from app.settings import reload_settings
    from app.workflows.knowledge import service as knowledge
    from workers.knowledge.engine.ingest import ingest_text
    reload_settings()
    key, principal = key_store().create("analyst", "bench")
    collection = knowledge.store().create_collection(principal.tenant, "acme",
                                                     knowledge.embedder())
    for i, text in enumerate(DOCS):
        ingest_text(collection, text, document_id=f"doc{i}")
    return key, "acme"


def run_jobs(stack: Stack, key: str, collection: str, backend: str, n: int) -> dict:
    session = requests.Session()
    session.headers["X-API-Key"] = key
    started = time.time()
    ids = []
    for _ in range(n):
        body = {"workflow": "strategic_analysis", "params": {
            "question": f"Should Acme expand into Asia? ({uuid.uuid4().hex[:6]})",
            "collection": collection, "backend": backend, "k": 5}}
        r = session.post(stack.api_url + "/api/v1/jobs", json=body, timeout=30)
        r.raise_for_status()
        ids.append(r.json()["id"])
    jobs = {}
    deadline = time.monotonic() + 600
    while len(jobs) < n:
        for job_id in ids:
            if job_id in jobs:
                continue
            job = session.get(f"{stack.api_url}/api/v1/jobs/{job_id}", timeout=30).json()
            if job["state"] in ("succeeded", "failed", "cancelled"):
                if job["state"] != "succeeded":
                    raise RuntimeError(f"job {job_id} {job['state']}: {job['error']}")
                jobs[job_id] = job
        if time.monotonic() > deadline:
            raise TimeoutError("jobs did not finish")
        time.sleep(0.05)  # polling the job store through the API
    wall = max(float(j["steps"]["synthesise"]["finished_at"]) for j in jobs.values()) - started
    overlaps = []
    for job in jobs.values():
        p = [s for name, s in job["steps"].items() if name.startswith("perspective-")]
        phase = max(s["finished_at"] for s in p) - min(s["started_at"] for s in p)
        overlaps.append((phase, max(s["runtime"] for s in p), sum(s["runtime"] for s in p)))
    return {"jobs": n, "wall_s": wall, "jobs_per_min": 60 * n / wall,
            "perspective_phase_s": min(o[0] for o in overlaps),
            "slowest_agent_s": min(o[1] for o in overlaps),
            "sum_of_agents_s": min(o[2] for o in overlaps)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=6)
    parser.add_argument("--latency", type=float, default=0.2)
    args = parser.parse_args()
    from app.runtime.embedded_chroma import EmbeddedChroma
    from tests.fakes.openai_server import FakeOpenAIServer

    stub_key = "sk-bench-" + uuid.uuid4().hex
    with FakeOpenAIServer(latency_s=args.latency, api_key=stub_key) as stub:
        stack = Stack()
        chroma = EmbeddedChroma(stack.tmp, free_port())
        stack.env.update({"DIA3_CHROMA_URL": chroma.start(), "DIA3_EMBEDDER": "hashing",
                          "DIA3_LLM_CACHE_TTL_SECONDS": "0", "DIA3_OPENAI_API_KEY": stub_key,
                          "DIA3_OPENAI_BASE_URL": stub.base_url,
                          "DIA3_LLM_REQUESTS_PER_MINUTE": "1000000",
                          "DIA3_LLM_TOKENS_PER_MINUTE": "1000000000"})
        rows, results = [], {}
        try:
            key, collection = populate(stack)
            worker = None
            for name, worker_args in SETUPS:
                if worker is None:
                    stack.start_dia3(*worker_args)
                    worker = stack.procs[0]
                else:
                    stack.stop_process(worker)
                    worker = stack.start_worker(*worker_args)
                    stack._wait_ready()
                for backend in ("local", "openai"):
                    run_jobs(stack, key, collection, backend, 2)  # warm up the processes
                    label = "local (extractive)" if backend == "local" else \
                        f"stub LLM, {args.latency * 1000:.0f} ms"
                    r = run_jobs(stack, key, collection, backend, args.jobs)
                    results[f"{name} / {label}"] = r
                    rows.append([name, label, r["jobs_per_min"], r["perspective_phase_s"],
                                 r["slowest_agent_s"], r["sum_of_agents_s"]])
        finally:
            stack.stop()
            chroma.stop()
    print_table(f"strategic_analysis, {args.jobs} jobs per cell, 4 perspectives",
                ["workers", "backend", "jobs/min", "perspective phase s", "slowest agent s",
                 "sum of agents s"], rows)
    save("agents", {"params": vars(args), "results": results})


if __name__ == "__main__":
    main()

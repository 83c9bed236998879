"""Strategic-analysis throughput and agent overlap: the local backend and a stub LLM server
with a fixed 200 ms latency, on 1 and 2 prefork worker processes and a threads pool; then a
real model, the embedded llama.cpp server with the bundled SmolLM2-135M-Instruct (needs the
local-llm extra): tokens/s and time to first token of plain and JSON replies, and
strategic_analysis jobs/min with prefork and threads pools, the share of citations kept and
the share of structured answers valid on the first try. The local (extractive) backend's
jobs/min in the same run is the baseline.

    python -m benchmarks.agents [--jobs 6] [--embedded-jobs 2] [--skip-stub]

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
from workers.strategic_analysis.engine.citations import cited_ids

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
EMBEDDED_SETUPS = [("prefork, 2 processes", ("-Q", "agents,default", "-c", "2")),
                   ("threads, 1 process x 4", ("-Q", "agents,default", "-P", "threads",
                                               "-c", "4"))]
EMBEDDED_PERSPECTIVES = ["economic", "risk"]


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


def run_jobs(stack: Stack, key: str, collection: str, backend: str, n: int,
             perspectives: list[str] | None = None, timeout: float = 600) -> dict:
    session = requests.Session()
    session.headers["X-API-Key"] = key
    started = time.time()
    ids = []
    for _ in range(n):
        params = {"question": f"Should Acme expand into Asia? ({uuid.uuid4().hex[:6]})",
                  "collection": collection, "backend": backend, "k": 5}
        if perspectives:
            params["perspectives"] = perspectives
        body = {"workflow": "strategic_analysis", "params": params}
        r = session.post(stack.api_url + "/api/v1/jobs", json=body, timeout=30)
        r.raise_for_status()
        ids.append(r.json()["id"])
    jobs = {}
    deadline = time.monotonic() + timeout
    while len(jobs) < n:
        for job_id in ids:
            if job_id in jobs:
                continue
            answer = session.get(f"{stack.api_url}/api/v1/jobs/{job_id}", timeout=30)
            answer.raise_for_status()
            job = answer.json()
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
    results = [session.get(f"{stack.api_url}/api/v1/jobs/{job_id}/result", timeout=30)
               .json()["result"] for job_id in ids]
    kept = sum(len(cited_ids([r["report"], r["perspectives"], r["critique"]]))
               for r in results)
    dropped = sum(len(r["citation_problems"]) for r in results)
    calls = sum(r["usage"]["calls"] for r in results)
    repairs = sum(r["usage"].get("repairs", 0) for r in results)
    return {"jobs": n, "wall_s": wall, "jobs_per_min": 60 * n / wall,
            "perspective_phase_s": min(o[0] for o in overlaps),
            "slowest_agent_s": min(o[1] for o in overlaps),
            "sum_of_agents_s": min(o[2] for o in overlaps),
            "citations_kept": kept, "citations_dropped": dropped,
            "citations_kept_share": kept / (kept + dropped) if kept + dropped else None,
            "structured_calls": calls,
            "valid_first_try_share": (calls - repairs) / calls if calls else None,
            "output_tokens": sum(r["usage"]["output_tokens"] for r in results)}


def model_speed(url: str, token: str, model: str, rounds: int) -> dict:
    """Tokens/s and time to first token of plain and JSON (grammar-constrained) replies,
    streamed through the official client (the best of ``rounds``; the server handles one
    request at a time)."""
    import openai
    client = openai.OpenAI(api_key=token, base_url=f"{url}/v1", max_retries=0, timeout=600)
    schema = {"type": "object", "properties": {
        "summary": {"type": "string", "maxLength": 400},
        "risks": {"type": "array", "items": {"type": "string", "maxLength": 120},
                  "maxItems": 3}}, "required": ["summary", "risks"]}
    prompt = "Acme reported record revenue in Europe, but rising interest rates may slow growth."
    kinds = {"plain": {}, "json": {"response_format": {"type": "json_object", "schema": schema}}}
    out = {}
    for kind, extra in kinds.items():
        best = None
        for _ in range(rounds):
            started = time.perf_counter()
            first = None
            tokens = 0
            stream = client.chat.completions.create(
                model=model, stream=True, max_tokens=150, temperature=0,
                messages=[{"role": "user", "content": f"Summarise the risks: {prompt}"}],
                **extra)
            for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    first = first or time.perf_counter()
                    tokens += 1  # llama.cpp streams one token a chunk
            ended = time.perf_counter()
            run = {"tokens": tokens, "ttft_s": (first or ended) - started,
                   "tokens_per_s": tokens / (ended - (first or started)) if tokens > 1 else 0}
            best = run if best is None or run["tokens_per_s"] > best["tokens_per_s"] else best
        out[kind] = best
    return out


def switch_worker(stack: Stack, worker, worker_args) -> object:
    """Start DIA3 with this worker (the first time) or replace the worker."""
    if worker is None:
        stack.start_dia3(*worker_args)
        return stack.procs[0]
    stack.stop_process(worker)
    worker = stack.start_worker(*worker_args)
    stack._wait_ready()
    return worker


def stub_and_local(args, stub_key: str) -> tuple[list, dict]:
    from app.runtime.embedded_chroma import EmbeddedChroma
    from tests.fakes.openai_server import FakeOpenAIServer

    rows, results = [], {}
    with FakeOpenAIServer(latency_s=args.latency, api_key=stub_key) as stub:
        stack = Stack()
        chroma = EmbeddedChroma(stack.tmp, free_port())
        stack.env.update({"DIA3_CHROMA_URL": chroma.start(), "DIA3_EMBEDDER": "hashing",
                          "DIA3_LLM_CACHE_TTL_SECONDS": "0", "DIA3_OPENAI_API_KEY": stub_key,
                          "DIA3_OPENAI_BASE_URL": stub.base_url,
                          "DIA3_LLM_REQUESTS_PER_MINUTE": "1000000",
                          "DIA3_LLM_TOKENS_PER_MINUTE": "1000000000"})
        try:
            key, collection = populate(stack)
            worker = None
            for name, worker_args in SETUPS:
                worker = switch_worker(stack, worker, worker_args)
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
    return rows, results


def embedded(args) -> dict:
    """The real model: its speed, then jobs on it (with the local backend as baseline)."""
    from app.runtime.embedded_chroma import EmbeddedChroma
    from app.runtime.embedded_llm import EmbeddedLLM
    from app.runtime.llm_model import bundled_model, model_alias, unavailable_reason

    problem = unavailable_reason("")
    if problem:
        raise SystemExit(f"the embedded model cannot run: {problem}")
    stack = Stack()
    chroma = EmbeddedChroma(stack.tmp, free_port())
    llm = EmbeddedLLM(stack.tmp, free_port(), bundled_model())
    out: dict = {"setups": {}}
    try:
        url = llm.start()
        model = model_alias(bundled_model())
        out["speed"] = model_speed(url, llm.token, model, args.speed_rounds)
        stack.env.update({"DIA3_CHROMA_URL": chroma.start(), "DIA3_EMBEDDER": "hashing",
                          "DIA3_LLM_CACHE_TTL_SECONDS": "0", "DIA3_LLM_SERVER_URL": url,
                          "DIA3_LLM_SERVER_KEY": llm.token,
                          # minutes of polling per job: the analyst key's limit is off
                          "DIA3_RATE_LIMIT_ANALYST": "",
                          "DIA3_LLM_REQUESTS_PER_MINUTE": "1000000",
                          "DIA3_LLM_TOKENS_PER_MINUTE": "1000000000"})
        key, collection = populate(stack)
        worker = None
        for name, worker_args in EMBEDDED_SETUPS:
            worker = switch_worker(stack, worker, worker_args)
            out["setups"][name] = {
                "local": run_jobs(stack, key, collection, "local", args.jobs,
                                  EMBEDDED_PERSPECTIVES),
                "embedded": run_jobs(stack, key, collection, "embedded", args.embedded_jobs,
                                     EMBEDDED_PERSPECTIVES, timeout=3600)}
    finally:
        stack.stop()
        chroma.stop()
        llm.stop()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=6)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--embedded-jobs", type=int, default=2)
    parser.add_argument("--speed-rounds", type=int, default=2)
    parser.add_argument("--skip-stub", action="store_true",
                        help="only the embedded model (and its local baseline)")
    args = parser.parse_args()
    results: dict = {}
    if not args.skip_stub:
        rows, results = stub_and_local(args, "sk-bench-" + uuid.uuid4().hex)
        print_table(f"strategic_analysis, {args.jobs} jobs per cell, 4 perspectives",
                    ["workers", "backend", "jobs/min", "perspective phase s",
                     "slowest agent s", "sum of agents s"], rows)
    real = embedded(args)
    results["embedded"] = real
    print_table("embedded SmolLM2-135M-Instruct (llama.cpp, CPU), streamed, best of "
                f"{args.speed_rounds}", ["reply", "tokens", "time to first token s",
                                         "tokens/s"],
                [[kind, r["tokens"], r["ttft_s"], r["tokens_per_s"]]
                 for kind, r in real["speed"].items()])
    rows = []
    for name, by_backend in real["setups"].items():
        for backend, r in by_backend.items():
            rows.append([name, backend, r["jobs"], r["jobs_per_min"], r["citations_kept"],
                         r["citations_kept_share"], r["valid_first_try_share"],
                         r["output_tokens"]])
    print_table(f"strategic_analysis, {len(EMBEDDED_PERSPECTIVES)} perspectives (local = "
                "baseline)", ["workers", "backend", "jobs", "jobs/min", "citations kept",
                              "kept share", "valid 1st try", "output tokens"], rows)
    save("agents", {"params": vars(args), "results": results})


if __name__ == "__main__":
    main()

"""Tenant export and erasure: the export holds one tenant's data and nothing of another's;
the erasure needs a confirmation token, removes the tenant's schedules, jobs, results, files,
uploads, collections, keys, LLM cache entries and rate-limit counters, pseudonymises its audit
entries and leaves another tenant untouched; afterwards Redis, the result files and Chroma's
database are scanned for leftovers."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path

import pytest

from app import audit
from app.extensions import job_store, key_store
from app.logs import job_id_var
from app.redis_client import get_bytes_redis
from app.settings import get_settings
from app.tenants.data import pseudonym
from app.workflows.knowledge import service as knowledge
from app.workflows.knowledge import uploads
from tests.conftest import ROOT, ApiClient
from workers.knowledge.engine.ingest import ingest_text
from workers.llm.cache import ResponseCache


def plant(make_client, tenant: str, text: str) -> dict:
    """Data of every kind for ``tenant``, each holding ``text``."""
    client = make_client("analyst", tenant)
    store = job_store()
    inline = uuid.uuid4().hex
    store.create(job_id=inline, workflow="smoke", tenant=tenant, owner="k", params={"t": text},
                 steps_total=1, tasks={})
    store.finish(inline, "only", {"said": text}, 0.1)
    big = uuid.uuid4().hex  # a result over DIA3_RESULT_INLINE_MAX_BYTES: a file
    store.create(job_id=big, workflow="smoke", tenant=tenant, owner="k", params={"t": text},
                 steps_total=1, tasks={})
    store.finish(big, "only", {"rows": [text] * 4000}, 0.1)
    assert store.get(big).result_ref["kind"] == "file"
    staged = uploads.stage(f"staged {text}".encode())
    pending = uuid.uuid4().hex  # a queued ingest job with its staged upload
    store.create(job_id=pending, workflow="ingest", tenant=tenant, owner="k",
                 params={"collection": "notes", "documents": [{"upload": staged}]},
                 steps_total=1, tasks={})
    token = job_id_var.set(inline)
    try:
        ResponseCache(get_bytes_redis(), ttl_s=600).put(
            f"dia3:llm:cache:{uuid.uuid4().hex}", {"content": f"reply {text}"})
    finally:
        job_id_var.reset(token)
    knowledge.create_collection(tenant, "notes", "hashing")
    ingest_text(knowledge.open_collection(tenant, "notes"), f"A note about {text}.",
                document_id="n1")
    submitted = client.submit("smoke", {"start": 1})  # audited as the tenant's key
    assert submitted.status_code == 202
    scheduled = client.post("/api/v1/schedules", json={
        "workflow": "smoke", "params": {"start": 1}, "interval_seconds": 3600, "name": text})
    assert scheduled.status_code == 201, scheduled.get_json()
    hooked = client.post("/api/v1/webhooks", json={
        "url": "http://127.0.0.1:9/erased", "events": ["job.succeeded"], "description": text})
    assert hooked.status_code == 201, hooked.get_json()
    return {"client": client, "jobs": {inline, big, pending, submitted.get_json()["id"]},
            "upload": staged, "file": store.results.file_path(store.get(big).result_ref)}


@pytest.fixture
def two_tenants(make_client, settings_env, chroma_server):
    settings_env(DIA3_CHROMA_DATA_DIR=str(chroma_server.dir))
    a, b = f"ea{uuid.uuid4().hex[:8]}", f"eb{uuid.uuid4().hex[:8]}"
    texts = {a: f"zebra{uuid.uuid4().hex}", b: f"okapi{uuid.uuid4().hex}"}
    planted = {tenant: plant(make_client, tenant, text) for tenant, text in texts.items()}
    admin = make_client("admin", f"ops{uuid.uuid4().hex[:6]}")
    admin.post("/api/v1/keys", json={"role": "viewer", "tenant": a})  # names a in detail
    return a, b, texts, planted, admin


def leftovers(needle: str) -> list[str]:
    """Where ``needle`` still is: Redis keys or values of DIA3's database, result files,
    files of Chroma's data directory."""
    found = []
    r = get_bytes_redis()
    for key in r.scan_iter(count=1000):
        kind = r.type(key)
        if kind == b"string":
            values = [r.get(key) or b""]
        elif kind == b"hash":
            values = list(r.hgetall(key).values())
        elif kind == b"list":
            values = r.lrange(key, 0, -1)
        elif kind == b"set":
            values = list(r.smembers(key))
        elif kind == b"zset":
            values = r.zrange(key, 0, -1)
        elif kind == b"stream":
            values = [json.dumps({k.decode(): v.decode() for k, v in f.items()}).encode()
                      for _, f in r.xrange(key)]
        else:
            values = []
        if needle.encode() in key or any(needle.encode() in v for v in values):
            found.append(f"redis:{key.decode()}")
    for root in (get_settings().data_path / "results", Path(get_settings().chroma_data_dir)):
        for path in root.rglob("*"):
            if path.is_file() and needle.encode() in path.read_bytes():
                found.append(str(path))
    return found


def test_export_holds_the_tenant_and_nothing_of_another(two_tenants):
    a, b, texts, planted, admin = two_tenants
    response = admin.get(f"/api/v1/tenants/{a}/export")
    assert response.status_code == 200, response.get_json()
    assert response.mimetype == "application/gzip"
    with tarfile.open(fileobj=io.BytesIO(response.data)) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}
    manifest = json.loads(members["manifest.json"])
    assert (manifest["format"], manifest["tenant"]) == ("dia3-tenant-export", a)
    assert manifest["counts"]["jobs"] == 4 and manifest["counts"]["collections"] == 1
    assert manifest["counts"]["schedules"] == 1
    [schedule] = [json.loads(line) for line in members["schedules.jsonl"].splitlines()]
    assert (schedule["name"], schedule["tenant"]) == (texts[a], a)
    assert manifest["counts"]["webhooks"] == 1
    [hook] = [json.loads(line) for line in members["webhooks.jsonl"].splitlines()]
    assert (hook["description"], hook["tenant"]) == (texts[a], a)
    assert "secret" not in hook and "previous_secret" not in hook
    assert isinstance(hook["deliveries"], list)
    assert manifest["counts"]["keys"] == 2  # the analyst's and the viewer the admin made
    jobs = [json.loads(line) for line in members["jobs.jsonl"].splitlines()]
    assert {job["id"] for job in jobs} == planted[a]["jobs"]
    assert {"said": texts[a]} in [job.get("result") for job in jobs]
    assert texts[a].encode() in members["collections.jsonl"]
    keys = [json.loads(line) for line in members["keys.jsonl"].splitlines()]
    assert all(set(k) == {"key_id", "role", "tenant", "name", "created_at", "expires_at",
                          "last_used_at"} and k["tenant"] == a for k in keys)
    entries = [json.loads(line) for line in members["audit.jsonl"].splitlines()]
    assert {"job.submit", "key.create"} <= {e["action"] for e in entries}
    everything = b"".join(members.values())
    assert texts[b].encode() not in everything and b.encode() not in everything
    assert planted[a]["client"].get(f"/api/v1/tenants/{a}/export").status_code == 403


def test_erasure_needs_its_token_and_leaves_nothing_of_the_tenant(two_tenants):
    a, b, texts, planted, admin = two_tenants
    assert leftovers(texts[a]) and leftovers(texts[b])  # the scan sees what was planted
    refused = admin.delete(f"/api/v1/tenants/{a}")
    assert refused.status_code == 422
    assert "confirm" in refused.get_json()["errors"]["query"]
    asked = admin.post(f"/api/v1/tenants/{a}/erasure")
    assert asked.status_code == 201, asked.get_json()
    assert asked.get_json()["will_erase"] == {"jobs": 4, "keys": 2, "collections": 1,
                                              "schedules": 1, "webhooks": 1}
    token = asked.get_json()["confirm"]
    other_admin = ApiClient(admin.client.application,
                            key_store().create("admin", "elsewhere")[0])
    assert other_admin.delete(f"/api/v1/tenants/{a}?confirm={token}").status_code == 422
    asked = admin.post(f"/api/v1/tenants/{a}/erasure")  # the wrong key's try used it up
    done = admin.delete(f"/api/v1/tenants/{a}?confirm={asked.get_json()['confirm']}")
    assert done.status_code == 200, done.get_json()
    report = done.get_json()
    assert report["tenant"] == pseudonym(a)
    assert (report["jobs"], report["keys"], report["collections"],
            report["llm_cache_entries"], report["schedules"], report["webhooks"]
            ) == (4, 2, 1, 1, 1, 1)
    assert report["chroma_vacuum"] == "done"
    assert admin.delete(f"/api/v1/tenants/{a}?confirm={asked.get_json()['confirm']}"
                        ).status_code == 422  # a token works once

    assert leftovers(texts[a]) == []
    assert not planted[a]["file"].exists()
    assert uploads.fetch(planted[a]["upload"]) is None
    assert planted[a]["client"].get("/api/v1/jobs").status_code == 401
    assert knowledge.list_collections(a) == []
    assert [e for e in audit.query(limit=1000, tenant=a).items] == []
    assert a not in json.dumps([e.to_dict() for e in audit.query(limit=1000).items])
    attempts = audit.query(action="tenant.erase", target=f"tenant:{pseudonym(a)}").items
    assert [(e.outcome, e.status) for e in attempts] == [  # newest first
        ("error", 422), ("ok", None), ("error", 422), ("error", 422)]
    assert attempts[1].detail["jobs"] == 4 and attempts[1].detail["chroma_vacuum"] == "done"
    assert audit.query(tenant=pseudonym(a), action="job.submit").items  # kept, pseudonymous

    kept = leftovers(texts[b])  # the other tenant is whole
    assert any(place.endswith(".json") for place in kept)
    assert {job.id for job in job_store().list(b, limit=10).items} == planted[b]["jobs"]
    assert uploads.fetch(planted[b]["upload"]) is not None
    assert [c.name for c in knowledge.list_collections(b)] == ["notes"]
    assert planted[b]["client"].get("/api/v1/jobs").status_code == 200
    assert [s["name"] for s in planted[b]["client"].get("/api/v1/schedules").get_json()[
        "items"]] == [texts[b]]
    assert [h["description"] for h in planted[b]["client"].get("/api/v1/webhooks").get_json()[
        "items"]] == [texts[b]]


def test_an_admin_cannot_erase_its_own_tenant_and_names_are_checked(make_client):
    admin = make_client("admin", f"own{uuid.uuid4().hex[:6]}")
    tenant = key_store().lookup(admin.key).tenant
    assert admin.post(f"/api/v1/tenants/{tenant}/erasure").status_code == 409
    bad = admin.post("/api/v1/tenants/no%20spaces/erasure")
    assert bad.status_code == 422 and "tenant" in bad.get_json()["errors"]["path"]
    viewer = make_client("viewer")
    assert viewer.post(f"/api/v1/tenants/{tenant}/erasure").status_code == 403


def test_rewriting_redis_files_takes_deleted_values_off_the_disk(tmp_path):
    """What ``DEL`` leaves behind: the embedded Redis' append-only file (and snapshot) still
    hold a deleted value until the erasure rewrites them."""
    from app.redis_client import make_client
    from app.runtime.embedded_redis import EmbeddedRedis
    from app.tenants.erase import rewrite_redis_files
    from tests.conftest import wait_for
    server = EmbeddedRedis(tmp_path)
    needle = f"zebra{uuid.uuid4().hex}".encode()

    def on_disk() -> list[str]:
        return [p.name for p in tmp_path.rglob("*") if p.is_file() and needle in p.read_bytes()]
    client = make_client(server.start())
    try:
        client.set("dia3:planted", needle)
        client.bgsave()
        wait_for(lambda: len(on_disk()) >= 2, what="the value in the AOF and the snapshot")
        client.delete("dia3:planted")
        assert rewrite_redis_files(client) == \
            "done: append-only file rewritten, snapshot re-taken"
        assert on_disk() == []
    finally:
        server.stop()


def dia3_cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], input=stdin, cwd=ROOT,
                          env=dict(os.environ), capture_output=True, text=True, timeout=180)


def test_the_cli_exports_and_erases_after_confirmation(make_client, tmp_path):
    tenant = f"ec{uuid.uuid4().hex[:8]}"
    client = make_client("analyst", tenant)
    assert client.submit("smoke", {"start": 1}).status_code == 202
    exported = dia3_cli("tenants", "export", tenant, str(tmp_path / "t.tar.gz"))
    assert exported.returncode == 0, exported.stderr
    with tarfile.open(tmp_path / "t.tar.gz") as tar:
        assert json.loads(tar.extractfile("manifest.json").read())["counts"]["jobs"] == 1
    refused = dia3_cli("tenants", "erase", tenant, stdin="not-it\n")
    assert refused.returncode != 0 and "nothing was erased" in refused.stderr
    assert "1 jobs, 1 keys, 0 schedules" in refused.stderr
    assert client.get("/api/v1/jobs").status_code == 200
    confirmed = dia3_cli("tenants", "erase", tenant, stdin=f"{tenant}\n")
    assert confirmed.returncode == 0, confirmed.stderr
    assert client.get("/api/v1/jobs").status_code == 401
    assert job_store().count(tenant) == 0
    again = dia3_cli("tenants", "erase", tenant, "--yes")
    assert again.returncode == 0 and '"jobs": 0' in again.stdout
    bad = dia3_cli("tenants", "erase", "no spaces", "--yes")
    assert bad.returncode != 0 and "1-64 letters" in bad.stderr

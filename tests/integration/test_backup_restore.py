"""Restore drill: jobs run on real workers, a collection gets documents, everything is backed
up while DIA3 runs, Redis's DIA3 data, the result files and Chroma are wiped, and the restore
brings back every job with its state and result, keys (an old key still works), the audit
log and the collection's documents and search results — read back through the API."""

from __future__ import annotations

import shutil
import tarfile
import uuid

import pytest
from click.testing import CliRunner

from app import audit, backup
from app.extensions import job_store, schedule_store, webhook_store
from app.jobs.store import new_job_id
from app.redis_client import get_redis
from app.settings import get_settings
from app.workflows.knowledge.chroma_client import connect_chroma
from tests.conftest import ADMIN_KEY, ApiClient
from tests.integration.kb_helpers import COLLECTIONS, create_collection, ingest, search, text_doc


def chroma():
    return connect_chroma(url=get_settings().chroma_url, token=get_settings().chroma_token)


def wipe() -> None:
    """Lose everything DIA3 keeps: its Redis keys, result files and Chroma collections."""
    client = get_redis()
    for key in client.scan_iter("dia3:*", count=1000):
        client.delete(key)
    shutil.rmtree(get_settings().data_path / "results", ignore_errors=True)
    for collection in backup.chroma_state.dia3_collections(chroma()):
        chroma().delete_collection(collection.name)


def all_audit_ids() -> list[str]:
    ids, cursor = [], None
    while True:
        page = audit.query(limit=200, cursor=cursor)
        ids += [entry.id for entry in page.items]
        cursor = page.next_cursor
        if not cursor:
            return ids


def state_of(client: ApiClient, job_ids: list[str]) -> dict:
    """Each job as the API shows it, with its result when it succeeded."""
    out = {}
    for job_id in job_ids:
        job = client.get(f"/api/v1/jobs/{job_id}").get_json()
        result = client.get(f"/api/v1/jobs/{job_id}/result").get_json() \
            if job["state"] == "succeeded" else None
        out[job_id] = (job, result)
    return out


def by_state(client: ApiClient) -> dict[str, list[str]]:
    """The tenant's job ids per state, as the state indexes list them."""
    return {state: [job["id"] for job in client.get("/api/v1/jobs", query_string={
        "state": state, "limit": 50}).get_json()["items"]]
        for state in ("queued", "running", "succeeded", "failed", "cancelled")}


def cli(*args: str):
    from app.cli.main import cli as dia3
    result = CliRunner().invoke(dia3, list(args))
    assert result.exit_code == 0, result.output
    return result


def without_last_use(keys: list[dict]) -> list[dict]:
    """Key records as listed, less the last use (the drill's own requests move it)."""
    return [{k: v for k, v in key.items() if k != "last_used_at"} for key in keys]


def test_restore_drill(flask_app, make_client, worker, tmp_path):
    analyst, admin = make_client("analyst"), ApiClient(flask_app, ADMIN_KEY)
    tenant = job_store().get(analyst.submit("smoke", {"start": 1}).get_json()["id"]).tenant
    texts = [f"review {i}: {'great value' if i % 2 else 'awful service'}" for i in range(1500)]
    submitted = [analyst.submit("smoke", {"start": 5}, idempotency_key="drill-1"),
                 analyst.submit("sentiment", {"texts": texts})]  # a result file
    job_ids = [r.get_json()["id"] for r in submitted]
    for job_id in job_ids:
        assert analyst.wait(job_id)["state"] == "succeeded"
    store = job_store()
    assert store.get(job_ids[1]).result_ref["kind"] == "file"
    # jobs no worker will touch: one cancelled, one still queued when the backup is taken
    cancelled, queued = (store.create(job_id=new_job_id(), workflow="smoke", tenant=tenant,
                                      owner="k", params={}, steps_total=1, tasks={})[0]
                         for _ in range(2))
    assert analyst.post(f"/api/v1/jobs/{cancelled.id}/cancel").status_code == 200
    job_ids.append(cancelled.id)
    schedule = analyst.post("/api/v1/schedules", json={
        "workflow": "smoke", "params": {"start": 2}, "cron": "0 6 * * *",
        "timezone": "Europe/Berlin"}).get_json()
    made_hook = analyst.post("/api/v1/webhooks", json={
        "url": "http://127.0.0.1:9/dia3", "events": ["job.succeeded"]}).get_json()
    hook = analyst.get(f"/api/v1/webhooks/{made_hook['id']}").get_json()
    name = create_collection(analyst)
    ingest(analyst, name, [text_doc("Employees get thirty vacation days per year.",
                                    document_id="leave"),
                           text_doc("The office opens at nine.", document_id="hours")])
    before = state_of(analyst, job_ids)
    listed = analyst.get("/api/v1/jobs", query_string={"limit": 50}).get_json()["items"]
    documents = analyst.get(f"{COLLECTIONS}/{name}/documents").get_json()
    hits = search(analyst, name, "vacation days")
    keys = admin.get("/api/v1/keys").get_json()
    states = by_state(analyst)
    assert states["queued"] == [queued.id]
    audit_ids = all_audit_ids()

    path = tmp_path / "dia3.tar.gz"
    made = cli("backup", str(path))
    assert "jobs" in made.output and analyst.key not in made.output
    with tarfile.open(path) as tar:
        assert {"manifest.json", "jobs.jsonl", "keys.jsonl", "audit.jsonl",
                "chroma.jsonl", "schedules.jsonl", "webhooks.jsonl"} <= set(tar.getnames())
    wipe()
    assert analyst.get("/api/v1/jobs").status_code == 401  # the key is gone too
    cli("restore", str(path))

    assert state_of(analyst, job_ids) == before
    assert analyst.get(f"/api/v1/schedules/{schedule['id']}").get_json() == schedule
    assert schedule["id"] in schedule_store().due(float("inf"))  # the beat sees it again
    assert analyst.get(f"/api/v1/webhooks/{hook['id']}").get_json() == hook
    restored_hook = webhook_store().get(hook["id"])
    assert restored_hook.secret == made_hook["secret"]  # it signs as before
    assert restored_hook.tenant in webhook_store().tenants()  # the dispatcher reads its events
    relisted = analyst.get("/api/v1/jobs", query_string={"limit": 50}).get_json()["items"]
    assert [j["id"] for j in relisted] == [j["id"] for j in listed]
    restored_queued = analyst.get(f"/api/v1/jobs/{queued.id}").get_json()
    assert restored_queued["state"] == "failed"
    assert restored_queued["error"]["type"] == "NotRestored"
    assert by_state(analyst) == {**states, "queued": [],
                                 "failed": [queued.id] + states["failed"]}
    again = analyst.submit("smoke", {"start": 5}, idempotency_key="drill-1")
    assert again.status_code == 200 and again.get_json()["id"] == job_ids[0]
    assert without_last_use(admin.get("/api/v1/keys").get_json()) == without_last_use(keys)
    assert analyst.get(f"{COLLECTIONS}/{name}/documents").get_json() == documents
    assert search(analyst, name, "vacation days") == hits
    restored_audit = all_audit_ids()
    assert set(audit_ids) <= set(restored_audit)
    assert audit.query(action="system.restore").items[0].actor == "cli"

    with pytest.raises(backup.RestoreRefused, match="not empty"):
        backup.restore(path, job_store(), get_redis(), chroma())
    report = backup.restore(path, job_store(), get_redis(), chroma(), force=True)
    assert report["jobs"] >= len(job_ids) + 1 and report["collections"] >= 2
    assert report["audit_entries"] == 0 and report["audit_entries_skipped"] >= len(audit_ids)
    assert state_of(analyst, job_ids) == before
    assert search(analyst, name, "vacation days") == hits


def test_a_damaged_or_foreign_backup_is_refused_before_anything_changes(tmp_path, flask_app):
    path = tmp_path / "b.tar.gz"
    backup.backup(path, job_store(), get_redis(), None)
    jobs_before = get_redis().zcard("dia3:idx:*:all")
    damaged = tmp_path / "damaged.tar.gz"
    damaged.write_bytes(path.read_bytes()[:-200])
    with pytest.raises(backup.BadBackup):
        backup.restore(damaged, job_store(), get_redis(), None, force=True)
    altered = tmp_path / "altered"
    with tarfile.open(path) as tar:
        tar.extractall(altered, filter="data")
    (altered / "keys.jsonl").write_text('{"key_id": "evil"}\n')
    repacked = tmp_path / "altered.tar.gz"
    with tarfile.open(repacked, "w:gz") as tar:
        for member in altered.iterdir():
            tar.add(member, member.name)
    with pytest.raises(backup.BadBackup, match="checksum"):
        backup.restore(repacked, job_store(), get_redis(), None, force=True)
    assert get_redis().zcard("dia3:idx:*:all") == jobs_before
    foreign = tmp_path / "foreign.tar.gz"
    with tarfile.open(foreign, "w:gz") as tar:
        note = tmp_path / "manifest.json"
        note.write_text('{"format": "other", "version": 7, "files": {}}')
        tar.add(note, "manifest.json")
    with pytest.raises(backup.BadBackup, match="unsupported"):
        backup.restore(foreign, job_store(), get_redis(), None)


def test_an_encrypted_backup_holds_no_plaintext_and_restores_only_with_the_key(tmp_path):
    """A backup of an encrypted DIA3 copies the sealed values and the wrapped data keys, never
    the master key: nothing in it reads without that key, and a restore needs it."""
    import gzip
    import os

    from app.crypto.envelope import Envelope, KeyMissing
    from app.jobs.results import ResultStore
    from app.jobs.store import JobStore
    from app.redis_client import make_client
    from app.runtime.embedded_redis import EmbeddedRedis

    master, planted = os.urandom(32), f"zebra{uuid.uuid4().hex}"
    servers = [EmbeddedRedis(tmp_path / name) for name in ("source", "keyless", "target")]

    def stores(server, key):
        url = server.start()
        client, raw = make_client(url), make_client(url, decode_responses=False)
        envelope = Envelope(raw, key)
        results = ResultStore(client, server.dir / "data", 1024, envelope)
        return JobStore(client, results, envelope=envelope), client

    try:
        source, client = stores(servers[0], master)
        for size in (1, 400):  # a result in Redis and one in a file
            job_id = new_job_id()
            source.create(job_id=job_id, workflow="smoke", tenant="acme", owner="k",
                          params={"t": planted}, steps_total=1, tasks={})
            source.finish(job_id, "only", {"rows": [planted] * size}, 0.1)
        path = tmp_path / "sealed.tar.gz"
        backup.backup(path, source, client, None)
        assert planted.encode() not in gzip.decompress(path.read_bytes())

        from app.backup.drill import drill
        drilled = drill(path, master)
        assert drilled["ok"] and drilled["problems"] == [], drilled
        assert (drilled["jobs"], drilled["results_checked"]) == (2, 2)
        assert 0 <= drilled["recovery_point_seconds"] < 600
        with pytest.raises(KeyMissing):
            drill(path, None)

        keyless, client = stores(servers[1], None)
        with pytest.raises(KeyMissing):
            backup.restore(path, keyless, client, None)
        target, client = stores(servers[2], master)
        assert backup.restore(path, target, client, None)["jobs"] == 2
        jobs = target.list("acme").items
        assert sorted(len(target.result(job.id, job)["rows"]) for job in jobs) == [1, 400]
        assert target.params(jobs[0].id) == {"t": planted}
    finally:
        for server in servers:
            server.stop()


def test_the_restore_drill_restores_a_backup_aside_and_checks_it(make_client, tmp_path):
    """``dia3 restore --verify``: a scratch Redis of its own, counts and checksums compared
    with the manifest, the recovery point and time reported; the live DIA3 is untouched."""
    import json

    analyst = make_client("analyst")
    tenant = job_store().get(analyst.submit("smoke", {"start": 1}).get_json()["id"]).tenant
    done = new_job_id()
    job_store().create(job_id=done, workflow="smoke", tenant=tenant, owner="k",
                       params={}, steps_total=1, tasks={})
    job_store().finish(done, "only", {"rows": ["x" * 100] * 1000}, 0.1)  # a result file
    path = tmp_path / "drill.tar.gz"
    cli("backup", "--without-knowledge", str(path))
    jobs_before = job_store().count(None)
    result = cli("restore", "--verify", str(path))
    report = json.loads(result.output[:result.output.rindex("}") + 1])
    assert report["ok"] and report["problems"] == []
    assert report["jobs"] >= 2 and report["results_checked"] >= 1
    assert report["recovery_time_seconds"] > 0 and "drill passed" in result.output
    assert job_store().count(None) == jobs_before  # nothing restored into the live DIA3
    entry = audit.query(action="system.restore_drill").items[0]
    assert entry.outcome == "ok" and entry.detail["problems"] == 0


def test_scheduled_backups_go_into_a_folder_that_keeps_a_window_of_days(tmp_path, monkeypatch):
    from app.backup import rotation
    folder = tmp_path / "backups"
    folder.mkdir()
    old = folder / "dia3-20200101T000000Z.tar.gz"
    old.write_bytes(b"an old backup")
    (folder / "README").write_text("not ours")
    monkeypatch.setenv("DIA3_BACKUP_RETENTION_DAYS", "7")
    get_settings.cache_clear()
    try:
        result = cli("backup", "--into", "--without-knowledge", str(folder))
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert "1 backups older than 7 days removed" in result.output
    made = rotation.latest(folder)
    assert made is not None and not old.exists() and (folder / "README").exists()
    assert cli("restore", "--verify", str(made)).output.count("drill passed") == 1


def test_the_backup_service_loops_until_sigterm_and_drills_each_backup(tmp_path, monkeypatch):
    """``dia3 backup --into DIR --every 86400 --verify`` (the Compose service): a SIGTERM that
    arrives during a backup lets it finish and be drilled, then the process exits 0 without
    waiting out the day; the folder is pruned as after a single run."""
    import os
    import signal

    folder = tmp_path / "backups"
    folder.mkdir()
    old = folder / "dia3-20200101T000000Z.tar.gz"
    old.write_bytes(b"an old backup")
    real = backup.backup

    def backup_then_sigterm(*args, **kwargs):
        manifest = real(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGTERM)  # as `docker compose stop` does, mid-run
        return manifest

    monkeypatch.setattr(backup, "backup", backup_then_sigterm)
    monkeypatch.setenv("DIA3_BACKUP_RETENTION_DAYS", "7")
    get_settings.cache_clear()
    before = signal.getsignal(signal.SIGTERM)
    try:
        result = cli("backup", "--into", "--every", "86400", "--verify",
                     "--without-knowledge", str(folder))
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert "stopped after 1 backups" in result.output
    assert "drill passed" in result.output
    assert "1 backups older than 7 days removed" in result.output
    from app.backup import rotation
    made = [p for p in folder.iterdir() if rotation.taken_at(p) is not None]
    assert made == [rotation.latest(folder)] and not old.exists()
    assert signal.getsignal(signal.SIGTERM) == before  # the handler is put back


def test_every_needs_a_folder_and_at_least_a_minute():
    from app.cli.main import cli as dia3
    for args in (["backup", "--every", "3600", "x.tar.gz"],
                 ["backup", "--into", "--every", "5", "somewhere"]):
        result = CliRunner().invoke(dia3, args)
        assert result.exit_code == 2 and "--every" in result.output, result.output

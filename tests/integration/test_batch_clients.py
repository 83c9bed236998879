"""Bulk submission from the Python client (``submit_many``) and the CLI (``dia3 submit
--batch``), against real API servers and the session's worker."""

from __future__ import annotations

import json
import time
import uuid

from app.client import Batch, DIA3Client, Job
from app.extensions import key_store


def test_submit_many_keys_every_job_and_reports_each(api_url, tenant_key):
    client = DIA3Client(api_url, tenant_key)
    own = f"own-{uuid.uuid4().hex}"
    jobs = [{"workflow": "smoke", "params": {"start": i}} for i in range(5)]
    jobs[1]["idempotency_key"] = own
    jobs.insert(3, {"workflow": "smoke", "params": {"start": "three"}})
    batch = client.submit_many(jobs, chunk_size=2)  # three requests
    assert isinstance(batch, Batch)
    assert [item.index for item in batch.items] == list(range(6))
    assert [item.status for item in batch.items] == [202, 202, 202, 422, 202, 202]
    assert (batch.created, batch.replayed, batch.failed) == (5, 0, 1)
    assert not batch.items[3].ok and "start" in batch.items[3].error["errors"]["params"]
    assert all(isinstance(job, Job) for job in batch.jobs) and len(batch.jobs) == 5
    assert batch.items[1].job.idempotency_key == own
    assert all(job.idempotency_key.startswith("sdk-") for job in batch.jobs if job is not
               batch.items[1].job)  # a key of its own: a retried request makes no second
    again = client.submit_many([jobs[1]])
    assert again.items[0].status == 200 and again.items[0].job.id == batch.items[1].job.id
    for job in batch.jobs:
        assert client.wait(job.id, timeout=120).state == "succeeded"


def test_submit_many_sends_the_jobs_refused_for_now_again(served_app, settings_env):
    settings_env(DIA3_RATE_LIMIT_ANALYST="3/second")
    client = DIA3Client(served_app, key_store().create("analyst", f"t{uuid.uuid4().hex[:8]}")[0])
    started = time.monotonic()
    batch = client.submit_many([{"workflow": "smoke", "params": {"start": i}} for i in range(5)])
    assert [item.status for item in batch.items] == [202] * 5  # the last two after a wait
    assert time.monotonic() - started >= 0.5 and batch.created == 5
    hasty = DIA3Client(served_app, key_store().create("analyst", "t-hasty")[0], retries=0)
    refused = hasty.submit_many([{"workflow": "smoke", "params": {}}] * 5)
    assert [item.status for item in refused.items] == [202] * 3 + [429] * 2


def test_dia3_submit_batch_reads_json_lines_and_shows_each_line(dia3, tmp_path):
    path = tmp_path / "jobs.jsonl"
    path.write_text("\n".join([
        json.dumps({"workflow": "smoke", "params": {"start": 1}}),
        "",
        json.dumps({"workflow": "smoke", "params": {"start": "x"}}),
        json.dumps({"workflow": "smoke", "params": {"start": 3}}),
    ]) + "\n")
    shown = dia3("submit", "--batch", str(path))
    assert shown.returncode == 1, shown.stderr  # one line was refused
    rows = {line.split()[0]: line.split() for line in shown.stdout.splitlines()
            if line.strip()[:1].isdigit()}
    assert rows["1"][1] == "202" and rows["4"][1] == "202" and rows["3"][1] == "422"
    assert "params.start: Not a valid integer." in shown.stdout
    assert "2 created, 0 already submitted (idempotency key), 1 refused" in shown.stdout
    path.write_text(json.dumps({"workflow": "smoke", "params": {}}) + "\n")
    document = json.loads(dia3("submit", "--batch", str(path), "--json").stdout)
    assert document["created"] == 1 and document["items"][0]["job"]["state"] == "queued"


def test_dia3_submit_batch_names_what_is_wrong(dia3, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"workflow": "smoke", "params": {}}\n[1, 2]\n')
    not_objects = dia3("submit", "--batch", str(path))
    assert not_objects.returncode == 1 and f"{path}, line 2 must hold a JSON object" in \
        not_objects.stderr
    path.write_text('{"workflow": "smoke",\n')
    broken = dia3("submit", "--batch", str(path))
    assert broken.returncode == 1 and f"{path}, line 1 is not valid JSON" in broken.stderr
    both = dia3("submit", "smoke", "--batch", str(path))
    assert both.returncode == 2 and "not with WORKFLOW" in both.stderr
    neither = dia3("submit")
    assert neither.returncode == 2 and "name a WORKFLOW" in neither.stderr

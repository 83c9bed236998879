"""``dia3 jobs`` against a real API server and the session's worker: every subcommand takes any
unique start of a job id (and says when one is ambiguous), and ``jobs list`` never cuts an id."""

from __future__ import annotations

import json
import re
from collections import defaultdict

import pytest

from tests.conftest import ApiClient


@pytest.fixture
def api(flask_app, tenant_key) -> ApiClient:
    """The API's test client with the same key (and tenant) as ``dia3``."""
    return ApiClient(flask_app, tenant_key)


def smoke(api: ApiClient, wait: bool = True, **params) -> dict:
    response = api.submit("smoke", {"start": 1, **params})
    assert response.status_code == 202, response.get_json()
    return api.wait(response.get_json()["id"]) if wait else response.get_json()


def test_show_takes_the_eight_characters_the_cli_prints(dia3, api):
    job = smoke(api)
    shown = dia3("jobs", "show", job["id"][:8])
    assert shown.returncode == 0, shown.stderr
    assert job["id"] in shown.stdout and "succeeded" in shown.stdout
    assert "Smoke test" in shown.stdout and re.search(r"value\W+3\b", shown.stdout)
    assert dia3("jobs", "show", job["id"][:8].upper()).returncode == 0
    document = json.loads(dia3("jobs", "show", job["id"][:5], "--json").stdout)
    assert document["id"] == job["id"] and document["result"] == {"value": 3}


def test_an_ambiguous_prefix_lists_the_jobs_it_starts(dia3, api):
    by_first = defaultdict(list)
    for _ in range(17):  # 16 hexadecimal digits: two of 17 ids share their first character
        job = smoke(api, wait=False)
        by_first[job["id"][0]].append(job["id"])
    first, ids = next((c, ids) for c, ids in by_first.items() if len(ids) > 1)
    done = dia3("jobs", "show", first)
    assert done.returncode == 1
    assert f"{first} is ambiguous" in done.stderr and all(i in done.stderr for i in ids[:5])
    for job_id in ids:
        api.wait(job_id)


def test_cancel_retry_and_delete_take_prefixes(dia3, api):
    stalled = smoke(api, wait=False, stall_seconds=60)
    cancelled = dia3("jobs", "cancel", stalled["id"][:8])
    assert cancelled.returncode == 0, cancelled.stderr
    assert f"job {stalled['id']} cancelled" in cancelled.stdout
    failed = smoke(api, fail_attempts=1)
    assert failed["state"] == "failed"
    retried = dia3("jobs", "retry", failed["id"][:8])
    assert retried.returncode == 0 and "(attempt 2)" in retried.stdout, retried.stderr
    assert api.wait(failed["id"])["state"] == "succeeded"
    deleted = dia3("jobs", "delete", failed["id"][:10])
    assert deleted.returncode == 0 and f"job {failed['id']} deleted" in deleted.stdout
    gone = dia3("jobs", "show", failed["id"][:8])
    assert gone.returncode == 1 and f"no job id starts with {failed['id'][:8]}" in gone.stderr


def test_another_tenants_job_is_not_found_by_prefix(dia3, make_client):
    other = make_client("analyst").submit("smoke", {"start": 1}).get_json()
    for command in ("show", "cancel", "retry", "delete"):
        done = dia3("jobs", command, other["id"][:8])
        assert done.returncode == 1 and "no job id starts with" in done.stderr, command


def test_not_an_id_is_a_usage_error(dia3):
    done = dia3("jobs", "show", "not-an-id")
    assert done.returncode == 2 and "not a job id or the start of one" in done.stderr


def test_jobs_list_never_cuts_an_id_at_80_columns(dia3, api):
    ids = {smoke(api, wait=False)["id"] for _ in range(3)}
    listed = dia3("jobs", "list", columns=80)
    assert listed.returncode == 0, listed.stderr
    assert ids <= set(listed.stdout.split()), listed.stdout
    assert all(len(line) <= 80 for line in listed.stdout.splitlines())
    for job_id in ids:
        api.wait(job_id)

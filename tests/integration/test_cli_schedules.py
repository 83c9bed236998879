"""``dia3 schedules`` against a real API server: create, list, show, pause, resume, run and
delete, by any unique start of a schedule's id."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.integration


def test_schedules_commands_from_create_to_delete(dia3, tmp_path):
    params = tmp_path / "params.json"
    params.write_text(json.dumps({"start": 4}))
    created = dia3("schedules", "create", "smoke", "--params-file", str(params), "--every",
                   "3600", "--name", "hourly", "--json")
    assert created.returncode == 0, created.stderr
    schedule = json.loads(created.stdout)
    sid, short = schedule["id"], schedule["id"][:8]
    assert (schedule["interval_seconds"], schedule["params"]) == (3600, {"start": 4})

    listed = dia3("schedules", "list")
    assert sid in listed.stdout and "every 3600 s" in listed.stdout and "active" in listed.stdout
    shown = dia3("schedules", "show", short)
    assert shown.returncode == 0 and "hourly" in shown.stdout and "skip / one" in shown.stdout

    assert "paused" in dia3("schedules", "pause", short).stdout
    assert json.loads(dia3("schedules", "show", short, "--json").stdout)["enabled"] is False
    assert "resumed, next run" in dia3("schedules", "resume", short).stdout

    ran = dia3("schedules", "run", short)
    assert ran.returncode == 0 and "submitted job" in ran.stdout
    job_id = ran.stdout.split()[2]
    shown = dia3("jobs", "show", job_id[:8], "--json")
    assert json.loads(shown.stdout)["schedule_id"] == sid

    bad = dia3("schedules", "create", "smoke", "--cron", "99 * * * *")
    assert bad.returncode != 0 and "cron" in bad.stdout + bad.stderr
    unknown = dia3("schedules", "show", "ffffffff")
    assert unknown.returncode != 0 and "no schedule" in unknown.stderr
    assert "deleted" in dia3("schedules", "delete", short).stdout
    assert sid not in dia3("schedules", "list").stdout

"""Schedules over the REST API (validated like job submissions, tenant-scoped, role-checked,
audited) and their ticks, fired in this process against the real Redis: one job per tick
however often it is fired, the overlap rule and catch-up after the beat was down."""

from __future__ import annotations

import pytest

from app import audit
from app.extensions import job_store, schedule_store
from app.schedules import ticks
from app.schedules.store import Schedule
from tests.conftest import ApiClient

pytestmark = pytest.mark.integration
SMOKE = {"workflow": "smoke", "params": {"start": 1}}


def create(client: ApiClient, **fields) -> dict:
    timing = {} if "cron" in fields else {"interval_seconds": 60}
    response = client.post("/api/v1/schedules", json={**SMOKE, **timing, **fields})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def field_errors(response) -> dict:
    assert response.status_code == 422, response.get_json()
    return response.get_json()["errors"]["json"]


def jobs_of(client: ApiClient, schedule_id: str) -> list[dict]:
    response = client.get(f"/api/v1/jobs?schedule_id={schedule_id}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def stored(schedule_id: str) -> Schedule:
    return schedule_store().get(schedule_id)


def test_schedule_lifecycle_over_the_api(analyst):
    created = create(analyst, name="hourly smoke", timezone="Europe/Berlin")
    sid = created["id"]
    assert created["enabled"] and created["overlap"] == "skip" and created["catchup"] == "one"
    assert created["next_run_at"] and created["cron"] is None
    assert created["tenant"] and created["params"] == {"start": 1}
    assert [s["id"] for s in analyst.get("/api/v1/schedules").get_json()["items"]] == [sid]
    assert analyst.get(f"/api/v1/schedules/{sid}").get_json()["name"] == "hourly smoke"

    paused = analyst.patch(f"/api/v1/schedules/{sid}", json={"enabled": False}).get_json()
    assert not paused["enabled"] and paused["next_run_at"] is None
    assert sid not in schedule_store().due(float("inf"))
    resumed = analyst.patch(f"/api/v1/schedules/{sid}", json={"enabled": True}).get_json()
    assert resumed["next_run_at"] and sid in schedule_store().due(float("inf"))

    cron = analyst.patch(f"/api/v1/schedules/{sid}", json={"cron": "30 6 * * 1-5"})
    assert cron.status_code == 200, cron.get_json()
    body = cron.get_json()
    assert (body["cron"], body["interval_seconds"]) == ("30 6 * * 1-5", None)
    assert body["next_run_at"].endswith("30:00+00:00")  # 06:30 in Berlin: 04:30 or 05:30 UTC

    run = analyst.post(f"/api/v1/schedules/{sid}/run")
    assert run.status_code == 202, run.get_json()
    job = run.get_json()
    assert job["schedule_id"] == sid and job["scheduled_for"] is None
    assert [j["id"] for j in jobs_of(analyst, sid)] == [job["id"]]

    assert analyst.delete(f"/api/v1/schedules/{sid}").status_code == 204
    assert analyst.get(f"/api/v1/schedules/{sid}").status_code == 404
    assert jobs_of(analyst, sid)[0]["id"] == job["id"]  # its jobs stay
    actions = [e.action for e in audit.query(target=f"schedule:{sid}").items]
    assert actions == ["schedule.delete", "schedule.run", "schedule.update",
                       "schedule.update", "schedule.update", "schedule.create"]


def test_schedules_are_checked_like_job_submissions(analyst, settings_env):
    errors = field_errors(analyst.post("/api/v1/schedules", json={
        "workflow": "sentiment", "params": {"texts": "not a list"}, "interval_seconds": 60}))
    assert "texts" in errors["params"]
    errors = field_errors(analyst.post("/api/v1/schedules", json={
        "workflow": "nope", "params": {}, "interval_seconds": 60}))
    assert "Unknown workflow" in errors["workflow"][0]
    both = field_errors(analyst.post("/api/v1/schedules", json={
        **SMOKE, "interval_seconds": 60, "cron": "* * * * *"}))
    assert set(both) == {"cron", "interval_seconds"}
    assert set(field_errors(analyst.post("/api/v1/schedules", json=SMOKE))) == {
        "cron", "interval_seconds"}
    assert "DIA3_SCHEDULE_MIN_INTERVAL" in field_errors(analyst.post(
        "/api/v1/schedules", json={**SMOKE, "interval_seconds": 59}))["interval_seconds"][0]
    for cron in ("61 * * * *", "0 0 30 2 *", "* * * *"):
        assert "cron" in field_errors(analyst.post("/api/v1/schedules",
                                                   json={**SMOKE, "cron": cron})), cron
    assert "timezone" in field_errors(analyst.post("/api/v1/schedules", json={
        **SMOKE, "cron": "0 * * * *", "timezone": "Mars/Olympus"}))
    errors = field_errors(analyst.post("/api/v1/schedules", json={
        **SMOKE, "interval_seconds": 60, "overlap": "sometimes", "params": {"start": "x"}}))
    assert set(errors) == {"overlap", "params"}  # one answer lists every error

    settings_env(DIA3_SCHEDULE_MIN_INTERVAL="120")
    assert "120 seconds" in field_errors(analyst.post("/api/v1/schedules", json={
        **SMOKE, "cron": "*/1 * * * *"}))["cron"][0]  # two consecutive fire times 60 s apart
    sid = create(analyst, cron="*/5 * * * *")["id"]
    errors = field_errors(analyst.patch(f"/api/v1/schedules/{sid}",
                                        json={"params": {"start": "x"}}))
    assert "start" in errors["params"]
    errors = field_errors(analyst.patch(f"/api/v1/schedules/{sid}",
                                        json={"workflow": "sentiment"}))
    assert "texts" in errors["params"]  # the params are checked against the new workflow
    assert stored(sid).workflow == "smoke"
    analyst.delete(f"/api/v1/schedules/{sid}")


def test_schedules_are_tenant_scoped_and_role_checked(make_client):
    owner = make_client("analyst")
    sid = create(owner)["id"]
    stranger = make_client("analyst")
    for response in (stranger.get(f"/api/v1/schedules/{sid}"),
                     stranger.patch(f"/api/v1/schedules/{sid}", json={"enabled": False}),
                     stranger.delete(f"/api/v1/schedules/{sid}"),
                     stranger.post(f"/api/v1/schedules/{sid}/run")):
        assert response.status_code == 404, response.get_json()
    assert stranger.get("/api/v1/schedules").get_json()["items"] == []
    assert stranger.get(f"/api/v1/jobs?schedule_id={sid}").get_json()["items"] == []

    tenant = schedule_store().get(sid).tenant
    viewer = make_client("viewer", tenant=tenant)
    assert viewer.get(f"/api/v1/schedules/{sid}").status_code == 200
    assert viewer.post("/api/v1/schedules", json={**SMOKE, "interval_seconds": 60}
                       ).status_code == 403
    assert viewer.patch(f"/api/v1/schedules/{sid}", json={"name": "x"}).status_code == 403
    assert viewer.post(f"/api/v1/schedules/{sid}/run").status_code == 403
    denied = audit.query(action="schedule.update", target=f"schedule:{sid}").items[0]
    assert (denied.outcome, denied.status) == ("denied", 403)
    admin = make_client("admin")
    assert admin.get(f"/api/v1/schedules/{sid}").status_code == 200
    owner.delete(f"/api/v1/schedules/{sid}")


def test_a_tick_makes_one_job_however_often_it_is_fired(analyst):
    sid = create(analyst, overlap="allow")["id"]
    before = stored(sid)
    tick = before.next_run_at
    first = ticks.fire(schedule_store(), sid, tick + 0.5)
    assert first.outcome == "submitted" and first.created
    # a second beat that read the schedule before the first moved it on fires it again
    again = ticks._run(before, tick)
    assert (again.job_id, again.created) == (first.job_id, False)
    assert not schedule_store().advance(before, tick + 60)
    assert ticks.fire(schedule_store(), sid, tick + 0.5).outcome == "stale"
    [job] = jobs_of(analyst, sid)
    assert job["id"] == first.job_id and job["idempotency_key"] == ticks.tick_key(sid, tick)
    assert job["owner"] == before.owner and job["request_id"] == f"schedule-{sid}-{int(tick)}"
    after = stored(sid)
    assert (after.next_run_at, after.runs, after.last_job_id) == (tick + 60, 1, first.job_id)
    analyst.delete(f"/api/v1/schedules/{sid}")


def test_catchup_one_runs_one_missed_tick_and_none_runs_none(analyst):
    one = create(analyst, overlap="allow")["id"]
    none = create(analyst, overlap="allow", catchup="none")["id"]
    due = stored(one).next_run_at
    later = due + 10 * 60 + 5  # the beat was down for ten ticks
    assert ticks.fire(schedule_store(), one, later).outcome == "submitted"
    [job] = jobs_of(analyst, one)
    assert job["scheduled_for"] is not None
    caught_up = stored(one)
    assert (caught_up.runs, caught_up.skipped_missed) == (1, 9)
    assert caught_up.last_run_at == due + 9 * 60  # the last tick older than the grace
    assert caught_up.next_run_at == due + 10 * 60  # the one within it runs on time

    skipped = ticks.fire(schedule_store(), none, stored(none).next_run_at + 10 * 60 + 5)
    assert skipped.outcome == "missed" and jobs_of(analyst, none) == []
    assert (stored(none).runs, stored(none).skipped_missed) == (0, 10)
    for sid in (one, none):
        analyst.delete(f"/api/v1/schedules/{sid}")


def test_overlap_skip_makes_no_job_while_the_previous_run_is_active(analyst):
    sid = create(analyst, params={"start": 1, "stall_seconds": 5})["id"]
    tick = stored(sid).next_run_at
    assert ticks.fire(schedule_store(), sid, tick).outcome == "submitted"
    assert ticks.fire(schedule_store(), sid, tick + 60).outcome == "overlap"
    [job] = jobs_of(analyst, sid)
    assert stored(sid).skipped_overlap == 1 and stored(sid).next_run_at == tick + 120
    analyst.post(f"/api/v1/jobs/{job['id']}/cancel")
    assert ticks.fire(schedule_store(), sid, tick + 120).outcome == "submitted"
    assert len(jobs_of(analyst, sid)) == 2
    for job in jobs_of(analyst, sid):
        analyst.post(f"/api/v1/jobs/{job['id']}/cancel")
    analyst.delete(f"/api/v1/schedules/{sid}")


def test_a_refused_run_fails_its_tick_and_says_why(analyst):
    sid = create(analyst, overlap="allow")["id"]
    store = schedule_store()
    schedule = stored(sid)
    store.update(schedule, {"params": {"start": "x"}})  # as if the workflow had changed
    fired = ticks.fire(store, sid, schedule.next_run_at)
    assert fired.outcome == "error" and jobs_of(analyst, sid) == []
    after = stored(sid)
    assert after.errors == 1 and after.last_error.startswith("ValidationError")
    assert after.next_run_at == schedule.next_run_at + 60
    analyst.delete(f"/api/v1/schedules/{sid}")


def test_listing_a_schedules_jobs_reads_its_own_index(analyst):
    sid = create(analyst, overlap="allow")["id"]
    made = [analyst.post(f"/api/v1/schedules/{sid}/run").get_json()["id"] for _ in range(3)]
    analyst.submit("smoke", {"start": 2})  # another job of the tenant
    page = analyst.get(f"/api/v1/jobs?schedule_id={sid}&limit=2").get_json()
    rest = analyst.get(f"/api/v1/jobs?schedule_id={sid}&limit=2&cursor={page['next_cursor']}"
                       ).get_json()
    assert [j["id"] for j in page["items"] + rest["items"]] == made[::-1]
    assert rest["next_cursor"] is None
    assert job_store().r.zcard(f"dia3:idx-sch:{sid}") == 3
    job_id = made[0]
    for job in made:
        analyst.post(f"/api/v1/jobs/{job}/cancel")
    assert analyst.delete(f"/api/v1/jobs/{job_id}").status_code == 204
    assert job_store().r.zcard(f"dia3:idx-sch:{sid}") == 2  # deleted with the job
    analyst.delete(f"/api/v1/schedules/{sid}")

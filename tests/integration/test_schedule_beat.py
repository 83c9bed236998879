"""The beat as real processes: SIGKILLed mid-run and started again, and two beats at once,
still make exactly one job per tick, every tick in turn (a 1-second interval, allowed by
DIA3_SCHEDULE_MIN_INTERVAL here)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests

from app.extensions import job_store, key_store, schedule_store
from app.jobs.store import InvalidTransition
from app.schedules import service
from tests.conftest import ROOT, free_port, wait_for

pytestmark = pytest.mark.integration


class Beat:
    def __init__(self, log_dir: Path, **env: str):
        self.metrics_port = free_port()
        self.log = log_dir / f"beat-{uuid.uuid4().hex[:6]}.log"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "beat"], cwd=ROOT, stdout=open(self.log, "w"),
            stderr=subprocess.STDOUT, env={**os.environ, "DIA3_SCHEDULE_MIN_INTERVAL": "1",
                                           "DIA3_BEAT_MAX_INTERVAL": "0.2",
                                           "DIA3_BEAT_METRICS_PORT": str(self.metrics_port),
                                           **env})

    def metrics(self) -> str:
        if self.proc.poll() is not None:
            raise AssertionError(self.log.read_text()[-3000:])
        try:
            return requests.get(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=2).text
        except requests.RequestException:
            return ""

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        assert self.proc.wait(timeout=30) in (0, -signal.SIGKILL), self.log.read_text()[-3000:]


@pytest.fixture
def every_second(settings_env):
    """A schedule of a fresh tenant firing every second (overlap allowed: every tick runs)."""
    settings_env(DIA3_SCHEDULE_MIN_INTERVAL="1")
    _, principal = key_store().create("analyst", f"t{uuid.uuid4().hex[:10]}")
    schedule = service.create(principal, {"workflow": "smoke", "params": {"start": 1},
                                          "interval_seconds": 1, "overlap": "allow"})
    yield schedule
    service.delete(principal, schedule.id)
    for job_id in job_store().r.zrange(f"dia3:idx-sch:{schedule.id}", 0, -1):
        with contextlib.suppress(InvalidTransition):  # a smoke job may have finished already
            job_store().cancel(job_id)


def ticks_made(schedule_id: str) -> list[float]:
    """The tick of each job of the schedule, in order."""
    jobs = job_store().list(None, schedule_id=schedule_id, limit=200).items
    return sorted(job.scheduled_for for job in jobs)


def assert_one_job_per_tick(schedule_id: str) -> list[float]:
    made = ticks_made(schedule_id)
    first = made[0]
    assert made == [first + i for i in range(len(made))], made  # every tick, once each
    assert schedule_store().get(schedule_id).runs == len(made)
    return made


def test_a_beat_killed_mid_run_and_restarted_makes_one_job_per_tick(every_second, tmp_path):
    beat = Beat(tmp_path, DIA3_SCHEDULE_LOCK_SECONDS="2")
    wait_for(lambda: len(ticks_made(every_second.id)) >= 3, timeout=60, interval=0.1,
             what="three ticks")
    beat.stop(signal.SIGKILL)
    killed_at = len(ticks_made(every_second.id))
    again = Beat(tmp_path, DIA3_SCHEDULE_LOCK_SECONDS="2")  # waits for the dead one's lock
    wait_for(lambda: len(ticks_made(every_second.id)) >= killed_at + 3, timeout=60,
             interval=0.1, what="three ticks after the restart")
    assert 'dia3_schedule_runs_total{workflow="smoke"}' in again.metrics()
    again.stop()
    made = assert_one_job_per_tick(every_second.id)
    assert len(made) >= killed_at + 3


def test_two_beats_at_once_make_one_job_per_tick(every_second, tmp_path):
    # without the lock both make every tick: the idempotency key alone keeps it to one job
    beats = [Beat(tmp_path, DIA3_SCHEDULE_LOCK_SECONDS="0") for _ in range(2)]
    wait_for(lambda: all(b.metrics() for b in beats), timeout=60, interval=0.2,
             what="both beats to run")
    start = len(ticks_made(every_second.id))
    wait_for(lambda: len(ticks_made(every_second.id)) >= start + 5, timeout=60, interval=0.1,
             what="five ticks with both beats running")
    for beat in beats:
        beat.stop()
    assert_one_job_per_tick(every_second.id)


def test_with_the_lock_one_of_two_beats_makes_the_ticks(every_second, tmp_path):
    beats = [Beat(tmp_path, DIA3_SCHEDULE_LOCK_SECONDS="2") for _ in range(2)]
    start = len(ticks_made(every_second.id))
    wait_for(lambda: len(ticks_made(every_second.id)) >= start + 3, timeout=60, interval=0.1,
             what="three ticks with two beats")
    holders = [b for b in beats if "beat lock taken" in b.log.read_text()]
    assert len(holders) == 1, [b.log.read_text()[-2000:] for b in beats]
    for beat in beats:
        beat.stop()
    assert_one_job_per_tick(every_second.id)

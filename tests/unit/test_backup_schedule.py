"""Backups on a timer: runs start an interval apart, a failed run does not end the loop, the
stop event ends it without waiting out the interval, and a folder fed by the loop keeps a
window of days. Time is injected: no test waits for a real interval."""

from __future__ import annotations

import threading

from app.backup import rotation, schedule

DAY = 86400.0


class Clock:
    """A clock the test moves; ``advance`` is what a run "takes"."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


class RecordingStop(threading.Event):
    """A stop event that records what the loop waits for instead of waiting."""

    def __init__(self) -> None:
        super().__init__()
        self.waits: list[float] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.waits.append(timeout)
        return self.is_set()


def test_runs_start_an_interval_apart_until_stopped():
    clock, stop, runs = Clock(), RecordingStop(), []

    def run():
        runs.append(clock.now)
        clock.now += 10  # a backup that takes 10 s
        if len(runs) == 3:
            stop.set()

    assert schedule.every(60, run, stop, monotonic=clock) == 3
    assert len(runs) == 3
    # start to start: the 10 s a backup took come off the wait
    assert stop.waits == [50, 50, 50]


def test_a_failed_run_is_logged_and_the_next_one_still_happens(caplog):
    stop, calls = RecordingStop(), []

    def run():
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("redis unreachable")
        stop.set()

    assert schedule.every(60, run, stop) == 1
    assert len(calls) == 2
    assert "scheduled backup failed: ConnectionError" in caplog.text


def test_a_run_longer_than_the_interval_starts_the_next_at_once():
    clock, stop = Clock(), RecordingStop()

    def run():
        clock.now += 90
        stop.set()

    schedule.every(60, run, stop, monotonic=clock)
    assert stop.waits == [0.0]


def test_the_stop_event_ends_a_real_wait_at_once():
    """A real Event, a day-long interval: setting it from another thread (as the SIGTERM
    handler does) ends the loop without the day passing."""
    stop, ran = threading.Event(), threading.Event()
    done: list[int] = []
    loop = threading.Thread(target=lambda: done.append(schedule.every(DAY, ran.set, stop)))
    loop.start()
    assert ran.wait(30)
    stop.set()
    loop.join(30)
    assert not loop.is_alive() and done == [1]


def test_a_daily_loop_keeps_a_window_of_days(tmp_path):
    """Five daily runs with a three-day retention: each run writes a backup named by its
    time, and the ones older than three days go."""
    clock, stop, written = Clock(), RecordingStop(), []

    def make(path):
        path.write_bytes(b"backup")
        written.append(path)

    def run():
        schedule.into_folder(tmp_path, make, keep_days=3, clock=clock)
        clock.now += DAY
        if len(written) == 5:
            stop.set()

    (tmp_path / "notes.txt").write_text("not a backup")
    assert schedule.every(DAY, run, stop, monotonic=clock) == 5
    kept = sorted(p for p in tmp_path.iterdir() if rotation.taken_at(p) is not None)
    assert kept == written[1:]  # days 1-4 of 0-4: day 0 is more than three days old
    assert (tmp_path / "notes.txt").exists()
    assert rotation.latest(tmp_path) == written[-1]


def test_into_folder_makes_the_folder_and_reports_what_it_removed(tmp_path):
    clock = Clock()
    folder = tmp_path / "backups"
    first, removed = schedule.into_folder(folder, lambda p: p.write_bytes(b"1"), 1, clock)
    assert removed == [] and first.exists()
    clock.now += 2 * DAY
    second, removed = schedule.into_folder(folder, lambda p: p.write_bytes(b"2"), 1, clock)
    assert removed == [first] and second.exists() and not first.exists()

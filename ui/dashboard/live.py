"""Following a job's event stream for the job page, in a thread of the page's session.

The page redraws its job every :data:`TICK` seconds from what it last read (so the clocks
move and a click is answered at once) and reads the job from the API again only when the
stream brought an event: the API is asked once per change, not once per refresh. Should the
stream fail (an API without event streams, a network error), the page reads the job every
``DIA3_UI_REFRESH_SECONDS`` instead.
"""

from __future__ import annotations

import threading
import time

from app.client import DIA3Client

#: seconds between redraws of an active job's page (from the job last read)
TICK = 0.5


class JobFollower:
    """Counts the events of one job's stream as they come, until the job ends or
    :meth:`stop` is called."""

    def __init__(self, client: DIA3Client, job_id: str):
        self.job_id = job_id
        self.changes = 0
        self.ended = self.failed = False
        self._stop = threading.Event()
        self._client = client.clone()  # a session of its own, for its thread
        threading.Thread(target=self._follow, daemon=True,
                         name=f"job-events-{job_id[:8]}").start()

    def _follow(self) -> None:
        try:
            for _ in self._client.events(self.job_id):
                if self._stop.is_set():
                    return
                self.changes += 1
        except Exception:  # the page falls back to reading the job now and then
            self.failed = True
        finally:
            self.ended = True

    def stop(self) -> None:
        """Stop at the next event or heartbeat (the thread holds nothing the page needs)."""
        self._stop.set()


class JobWatch:
    """What the job page knows of one active job: its follower, and the job as last read."""

    def __init__(self, client: DIA3Client, job_id: str):
        self.follower = JobFollower(client, job_id)
        self.job: dict | None = None
        self.seen = -1  # the follower's count when the job was last read
        self.read_at = 0.0

    def stale(self, refresh_seconds: float) -> bool:
        """Whether to read the job again: an event came, the stream ended (the job did), or
        the stream failed and ``refresh_seconds`` passed."""
        follower = self.follower
        if self.job is None or follower.ended and not follower.failed:
            return True
        if follower.failed:
            return time.monotonic() - self.read_at >= refresh_seconds
        return follower.changes != self.seen

    def read(self, job: dict) -> None:
        self.job, self.seen, self.read_at = job, self.follower.changes, time.monotonic()


def watch(state, client: DIA3Client, job_id: str) -> JobWatch:
    """The page session's watch of the active job ``job_id`` (kept in ``state``, Streamlit's
    session state); one of another job is stopped, and one whose stream ended (the job ended
    and was retried since) is replaced."""
    current = state.get("job:watch")
    if current is None or current.follower.job_id != job_id or (
            current.follower.ended and not current.follower.failed):
        if current is not None:
            current.follower.stop()
        current = state["job:watch"] = JobWatch(client, job_id)
    return current

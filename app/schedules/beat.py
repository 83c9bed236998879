"""The beat: Celery beat with a scheduler of DIA3's own that reads its schedules from Redis.

Celery beat's own schedulers keep their state in a local file (lost with a container, and
each replica would have its own), and celery-redbeat, which keeps it in Redis, stores a
cron entry without its time zone (every entry runs in the app's one zone) and records when
an entry was sent rather than which tick it was for, so two beats cannot agree on a tick's
key. :class:`ScheduleBeat` replaces beat's heap of entries by a pass over the schedules due
in Redis (:func:`app.schedules.ticks.fire_due`); beat's service loop, sleep and shutdown
stay Celery's.

One beat at a time makes ticks: each pass first takes or renews :class:`BeatLock` (a Redis
key with this beat's token and a lifetime of ``DIA3_SCHEDULE_LOCK_SECONDS``); a beat that
does not hold it waits. The lock only saves work: a tick made by two beats still makes one
job (its idempotency key) and moves its schedule on once.
"""

from __future__ import annotations

import logging
import signal
import time
import uuid

from celery.beat import Scheduler, Service

from app import redis_keys
from app.extensions import celery as get_celery
from app.extensions import schedule_store
from app.redis_client import get_redis
from app.schedules.ticks import fire_due
from app.settings import get_settings

log = logging.getLogger("dia3.beat")

# KEYS: the lock. ARGV: token, lifetime (ms). Renews the lock when this token holds it, else
# takes it when it is free; 1 when the token holds it now.
HOLD = """
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if holder then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""
# KEYS: the lock. ARGV: token. Frees the lock if this token holds it.
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class BeatLock:
    """The lock that lets one beat make ticks; ``seconds=0``: no lock (every beat does).
    ``key`` names another lock of the same kind (the webhook dispatcher's)."""

    def __init__(self, seconds: float, key: str = redis_keys.SCHEDULE_BEAT_LOCK,
                 name: str = "beat"):
        self.seconds, self.key, self.name = seconds, key, name
        self.token = f"{uuid.uuid4().hex}"
        client = get_redis()
        self._hold, self._release = (client.register_script(HOLD),
                                     client.register_script(RELEASE))
        self.held = False

    def hold(self) -> bool:
        if self.seconds <= 0:
            return True
        held = self._hold(keys=[self.key],
                          args=[self.token, int(self.seconds * 1000)]) == 1
        if held != self.held:
            log.info(f"{self.name} lock " + ("taken" if held else "lost"),
                     extra={"token": self.token})
        self.held = held
        return held

    def release(self) -> None:
        if self.seconds > 0 and self.held:
            self._release(keys=[self.key], args=[self.token])
            self.held = False


class ScheduleBeat(Scheduler):
    """Celery beat's scheduler of DIA3's schedules (``celery beat -S`` takes it too)."""

    def __init__(self, *args, **kwargs):
        self.lock = BeatLock(get_settings().schedule_lock_seconds)
        super().__init__(*args, **kwargs)

    def setup_schedule(self) -> None:
        """No static entries: every schedule lives in Redis."""

    def tick(self, *args, **kwargs) -> float:
        """One pass: fire what is due (holding the lock); returns the seconds to sleep."""
        settings = get_settings()
        longest = settings.beat_max_interval
        try:
            if not self.lock.hold():
                return longest
            fire_due()
            upcoming = schedule_store().next_due_at()
        except Exception:  # noqa: BLE001 - Redis away: beat keeps going and tries again
            log.warning("beat pass failed", exc_info=True)
            return longest
        wait = longest if upcoming is None else upcoming - time.time()
        # still due after the pass (a tick left for the next one, refused for now): no spin
        return longest if wait <= 0 else min(longest, wait)

    def close(self) -> None:
        try:
            self.lock.release()
        except Exception:  # noqa: BLE001 - the lock then expires by itself
            log.warning("beat lock not released", exc_info=True)


def _stop(signum: int, frame: object) -> None:
    raise SystemExit(0)


def run() -> None:
    """Run the beat until SIGTERM or SIGINT (which release its lock)."""
    settings = get_settings()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _stop)
    log.info("beat starting", extra={"lock_seconds": settings.schedule_lock_seconds})
    Service(get_celery(), max_interval=settings.beat_max_interval,
            scheduler_cls=ScheduleBeat).start()

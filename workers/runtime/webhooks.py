"""The webhook dispatcher's thread in a worker's main process (like the reaper): it runs
:class:`app.webhooks.dispatch.Dispatcher` passes while it holds the cluster's dispatcher lock,
and waits to take it over otherwise."""

from __future__ import annotations

import logging
import threading

from app import redis_keys
from app.schedules.beat import BeatLock
from app.settings import get_settings
from app.webhooks.dispatch import Dispatcher

log = logging.getLogger("dia3.webhooks")
#: the longest a pass waits for events, and the pause after a failed pass
PASS_SECONDS = 1.0


class WebhookDispatcher(threading.Thread):
    def __init__(self):
        super().__init__(name="dia3-webhooks", daemon=True)
        self.stopping = threading.Event()

    def run(self) -> None:
        lock = BeatLock(get_settings().webhook_lock_seconds,
                        key=redis_keys.WEBHOOK_DISPATCH_LOCK, name="webhook dispatcher")
        dispatcher = Dispatcher()
        while not self.stopping.is_set():
            try:
                if not lock.hold():
                    dispatcher.lost_lock()
                    self.stopping.wait(PASS_SECONDS)
                elif not dispatcher.pass_once(PASS_SECONDS):
                    self.stopping.wait(PASS_SECONDS)
            except Exception:  # noqa: BLE001 - Redis away: try again after a pause
                log.warning("webhook dispatcher pass failed", exc_info=True)
                self.stopping.wait(PASS_SECONDS)
        try:
            lock.release()
        except Exception:  # noqa: BLE001 - it then expires by itself
            pass

    def stop(self) -> None:
        self.stopping.set()

"""When a schedule fires: its ticks, from a cron expression in its time zone or a fixed
interval from an anchor.

Ticks are whole seconds (cron fires on minutes, intervals are whole seconds from a whole
second), so a tick's time is an exact key: two beats, or one beat before and after a restart,
compute the same tick from the same schedule. Cron expressions are read by croniter in the
schedule's IANA time zone (a nonexistent local time in a DST gap fires at the first minute
after it, an ambiguous one once).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadCronError, CroniterBadDateError, croniter

#: fire times looked at for a cron expression's shortest gap
GAP_SAMPLES = 1500
#: ticks counted one by one for a cron schedule's missed run (beyond: counted as that many)
COUNT_LIMIT = 10_000


@dataclass(frozen=True)
class Timing:
    """What decides a schedule's ticks: ``cron`` (5 fields) in ``timezone``, or every
    ``interval`` seconds after ``anchor``."""

    cron: str | None
    interval: int | None
    timezone: str
    anchor: float

    def next_after(self, t: float) -> float:
        """The first tick strictly after ``t``."""
        if self.interval:
            return self.anchor + (math.floor((t - self.anchor) / self.interval) + 1) * \
                self.interval
        return _cron(self, t).get_next(float)

    def latest_at_or_before(self, t: float) -> float:
        """The last tick at or before ``t`` (the anchor for an interval not yet begun)."""
        if self.interval:
            return self.anchor + max(0, math.floor((t - self.anchor) / self.interval)) * \
                self.interval
        found = _cron(self, t + 1).get_prev(float)
        return found if found <= t else _cron(self, found).get_prev(float)

    def count_between(self, first: float, last: float) -> int:
        """How many ticks there are from ``first`` to ``last`` (both ticks, included)."""
        if self.interval:
            return int(round((last - first) / self.interval)) + 1
        count = 1
        it = _cron(self, first)
        while count < COUNT_LIMIT and it.get_next(float) <= last:
            count += 1
        return count

    def shortest_gap(self, start: float) -> float:
        """The shortest time between two consecutive ticks (for a cron expression, among its
        next fire times from ``start``)."""
        if self.interval:
            return float(self.interval)
        it = _cron(self, start)
        previous, gap = it.get_next(float), math.inf
        for _ in range(GAP_SAMPLES):
            current = it.get_next(float)
            gap = min(gap, current - previous)
            previous = current
        return gap


def _cron(timing: Timing, t: float) -> croniter:
    return croniter(timing.cron, datetime.fromtimestamp(t, ZoneInfo(timing.timezone)))


def zone_problem(name: str) -> str | None:
    """Why ``name`` is not an IANA time zone, or None."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return f"Unknown time zone '{name}'; use an IANA name such as UTC or Europe/Berlin."
    return None


def cron_problem(expression: str, timezone: str) -> str | None:
    """Why ``expression`` is not a 5-field cron expression that ever fires, or None."""
    if len(expression.split()) != 5:
        return "A cron expression has 5 fields: minute hour day-of-month month day-of-week."
    try:
        if not croniter.is_valid(expression):
            return "Not a valid cron expression."
        _cron(Timing(expression, None, timezone, 0.0), 0.0).get_next(float)
    except (CroniterBadCronError, CroniterBadDateError, ValueError):
        return "This cron expression never fires."
    return None

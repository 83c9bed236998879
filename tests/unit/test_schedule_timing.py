"""When schedules fire: intervals from their anchor, cron expressions in their own time zone
(across daylight-saving changes), the shortest gap the minimum interval is checked against,
and the checks of expressions and zones."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from app.schedules.timing import Timing, cron_problem, zone_problem

BERLIN = ZoneInfo("Europe/Berlin")


def at(text: str, zone=UTC) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=zone).timestamp()


def test_intervals_count_from_their_anchor():
    every = Timing(None, 60, "UTC", 1000.0)
    assert every.next_after(1000.0) == 1060.0 and every.next_after(1059.9) == 1060.0
    assert every.next_after(1060.0) == 1120.0
    assert every.latest_at_or_before(1119.0) == 1060.0
    assert every.latest_at_or_before(1000.5) == 1000.0  # not begun: the anchor
    assert every.count_between(1060.0, 1660.0) == 11
    assert every.shortest_gap(0.0) == 60.0


def test_cron_fires_in_its_time_zone_across_daylight_saving():
    daily = Timing("30 2 * * *", None, "Europe/Berlin", 0.0)
    # 2026-03-29 02:30 does not exist in Berlin (clocks go from 02:00 to 03:00)
    assert daily.next_after(at("2026-03-28T12:00:00", BERLIN)) == at("2026-03-29T03:00:00",
                                                                      BERLIN)
    assert daily.next_after(at("2026-03-29T03:00:00", BERLIN)) == at("2026-03-30T02:30:00",
                                                                      BERLIN)
    nine = Timing("0 9 * * 1-5", None, "America/New_York", 0.0)
    assert nine.next_after(at("2026-01-05T00:00:00")) == at("2026-01-05T14:00:00")  # EST
    assert nine.next_after(at("2026-07-06T00:00:00")) == at("2026-07-06T13:00:00")  # EDT
    assert nine.next_after(at("2026-07-10T14:00:00")) == at("2026-07-13T13:00:00")  # Monday


def test_the_latest_tick_and_how_many_there_were():
    hourly = Timing("0 * * * *", None, "UTC", 0.0)
    tick = at("2026-05-01T10:00:00")
    assert hourly.latest_at_or_before(tick) == tick  # a tick itself
    assert hourly.latest_at_or_before(tick + 3599) == tick
    assert hourly.latest_at_or_before(tick - 1) == tick - 3600
    assert hourly.count_between(tick, tick + 9 * 3600) == 10


@pytest.mark.parametrize(("cron", "gap"), [
    ("*/5 * * * *", 300), ("0,1 * * * *", 60), ("0 0 * * *", 86400), ("0 9 * * 1-5", 86400),
    ("*/1 * * * *", 60)])
def test_the_shortest_gap_between_two_fire_times(cron, gap):
    assert Timing(cron, None, "UTC", 0.0).shortest_gap(at("2026-05-01T00:00:00")) == gap


def test_expressions_and_zones_are_checked():
    assert cron_problem("0 6 * * 1-5", "Europe/Berlin") is None
    assert "5 fields" in cron_problem("* * * *", "UTC")
    assert "5 fields" in cron_problem("0 * * * * *", "UTC")  # no seconds field
    assert "valid" in cron_problem("61 * * * *", "UTC")
    assert "never fires" in cron_problem("0 0 30 2 *", "UTC")
    assert zone_problem("Europe/Berlin") is None and zone_problem("UTC") is None
    for name in ("Mars/Olympus", "../../etc/passwd", "/etc/localtime", ""):
        assert "IANA" in zone_problem(name), name

"""The retry schedule of webhook deliveries: the first retry within a minute, each wait three
times the one before up to six hours, +-20 % jitter, about 21 hours over ten attempts."""

from __future__ import annotations

import random

import pytest

from app.settings import Settings
from app.webhooks.backoff import nominal_delay, retry_delay, schedule


def test_the_default_schedule():
    defaults = Settings()
    waits = schedule(defaults.webhook_max_attempts, defaults.webhook_retry_base_seconds,
                     defaults.webhook_retry_max_seconds)
    assert waits == [30, 90, 270, 810, 2430, 7290, 21600, 21600, 21600]
    assert waits[0] < 60
    assert 20 * 3600 < sum(waits) < 22 * 3600


def test_jitter_stays_within_twenty_percent_and_varies():
    rng = random.Random(7)
    for failed in range(1, 10):
        nominal = nominal_delay(failed, 30, 21600)
        waits = [retry_delay(failed, 30, 21600, rng) for _ in range(200)]
        assert all(0.8 * nominal <= wait <= 1.2 * nominal for wait in waits)
        assert max(waits) - min(waits) > 0.2 * nominal


@pytest.mark.parametrize("failed, expected", [(1, 0.5), (2, 1.5), (3, 2.0), (9, 2.0)])
def test_small_settings_make_a_fast_schedule(failed, expected):
    assert nominal_delay(failed, 0.5, 2.0) == expected

"""When a failed webhook delivery is tried again: exponential backoff with jitter.

The wait after the ``n``-th failed attempt is ``base * 3 ** (n - 1)``, at most ``cap``, each
scaled by a random factor in [0.8, 1.2] so that receivers coming back are not hit by every
retry at once. With the defaults (30 s, 6 h, 10 attempts): 30 s, 1.5 min, 4.5 min, 13.5 min,
40.5 min, 2 h, 6 h, 6 h, 6 h — about 21 hours from the first attempt to the last.
"""

from __future__ import annotations

import random

FACTOR = 3
JITTER = 0.2


def nominal_delay(failed: int, base: float, cap: float) -> float:
    """The wait (without jitter) after ``failed`` failed attempts (1 or more)."""
    return min(cap, base * FACTOR ** max(failed - 1, 0))


def retry_delay(failed: int, base: float, cap: float, rng: random.Random | None = None
                ) -> float:
    """The wait after ``failed`` failed attempts, with +-20 % jitter."""
    spread = (rng or random).uniform(1 - JITTER, 1 + JITTER)
    return nominal_delay(failed, base, cap) * spread


def schedule(max_attempts: int, base: float, cap: float) -> list[float]:
    """The nominal waits between ``max_attempts`` attempts (one fewer than attempts)."""
    return [nominal_delay(n, base, cap) for n in range(1, max_attempts)]

"""Human durations such as ``30d`` or ``12h`` for key expiry on the command line.

A bare number is refused on purpose: ``--expires-in 30`` is ambiguous (days? seconds?) and a
key that silently expires after 30 seconds is worse than an error.
"""

from __future__ import annotations

import re

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")


def parse_duration(text: str) -> int:
    """Seconds in ``text`` (``<n><unit>``, unit one of s, m, h, d, w); raises ValueError."""
    match = DURATION.match(text.lower())
    if not match or int(match[1]) == 0:
        raise ValueError(f"not a duration: {text!r} (use e.g. 30d, 12h, 2w)")
    return int(match[1]) * UNITS[match[2]]

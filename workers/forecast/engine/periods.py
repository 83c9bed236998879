"""Which seasonal periods a series gets: the season length, a second period when the series
is long enough, and the exact (possibly non-integer) period for Fourier terms.

Rule for the second period: a season length with a known longer cycle gets it as a second
period when the series covers at least ``SECOND_PERIOD_CYCLES`` (3) full cycles of it: 24
(hourly) adds 168 (a week), 48 (half-hourly) adds 336, 7 (daily) adds 365.25 (a year).
Three cycles is what the seasonality test asks of the first period too, and what STL needs
to tell a drifting season from the trend. Whether the second season actually helps is left
to ``auto``'s rolling-origin comparison, where models without it compete. Weekly data
(52) get the exact year, 52.18 weeks, for Fourier terms; STL needs the integer 52.

``seasonal_periods`` given by the caller replaces this rule.
"""

from __future__ import annotations

SECOND_PERIODS = {24: 168.0, 48: 336.0, 7: 365.25}
EXACT_PERIODS = {52: 365.25 / 7}  # 52.18 weeks a year
SECOND_PERIOD_CYCLES = 3
MIN_CYCLES = 2  # a period is modelled only when the series covers two full cycles of it


def seasonal_periods(m: int, n: int, requested: list[float] | None = None) -> tuple[float, ...]:
    """Periods to model (ascending) for season length ``m`` and ``n`` observations."""
    if requested:
        periods = [float(p) for p in requested]
    elif m > 1:
        periods = [float(EXACT_PERIODS.get(m, m))]
        second = SECOND_PERIODS.get(m)
        if second and n >= SECOND_PERIOD_CYCLES * second:
            periods.append(second)
    else:
        periods = []
    return tuple(sorted(p for p in set(periods) if p > 1 and n >= MIN_CYCLES * p))


def integer_periods(periods: tuple[float, ...]) -> tuple[int, ...]:
    """Periods STL can use: the rounded ones (52.18 -> 52), without duplicates."""
    return tuple(sorted({int(round(p)) for p in periods if round(p) >= 2}))

"""How far a path model's log prices can wander, bounded when the spec is validated.

Paths are simulated as log prices and exponentiated at the end. Parameters whose products
are too large (``volatility`` 1e300, a drift over a long horizon, an ``s0`` of 1e300, returns
of 1e300) would make prices, or the squares summed for the standard deviation, overflow
float64 in the workers; such a spec is refused here with the field that contributes most,
instead of failing (or answering with infinities) at run time.
"""

from __future__ import annotations

import math

from app.workflows.monte_carlo.checks import join
from app.workflows.monte_carlo.errors import MonteCarloInputError

#: log prices stay within ±300: prices within about 10^±130, whose squares summed over 10^9
#: simulations are still finite
MAX_LOG_REACH = 300.0
#: standard deviations of the random part that are allowed for: no draw of 10^9 normals
#: comes near (each is beyond 10 with probability about 1.5e-23)
SPREAD = 10.0


def _check(terms: dict[str, float], path: str, formula: str, length: str) -> None:
    reach = sum(terms.values())
    if reach <= MAX_LOG_REACH:
        return
    culprit = max(terms, key=lambda name: terms[name])
    raise MonteCarloInputError(
        join(path, culprit),
        f"log prices would reach ±{reach:.3g} ({formula}); at most ±{MAX_LOG_REACH:g} keeps "
        f"prices finite: lower {culprit} or {length}")


def check_gbm(params: dict, path: str) -> None:
    """``|ln s0| + |drift|·T + volatility²·T/2 + 10·volatility·√T`` at most MAX_LOG_REACH."""
    horizon, sigma = params["horizon"], params["volatility"]
    terms = {
        "s0": abs(math.log(params["s0"])),
        "drift": abs(params["drift"]) * horizon,
        # products, not powers: a float product overflows to inf, ``**`` would raise
        "volatility": sigma * sigma / 2 * horizon + SPREAD * sigma * math.sqrt(horizon),
    }
    _check(terms, path, "|ln s0| + |drift|·horizon + volatility²·horizon/2 + "
                        f"{SPREAD:g}·volatility·√horizon", "horizon")


def check_bootstrap(log_returns: list[float], s0: float, steps: int, block_length: int,
                    path: str, field: str) -> None:
    """``|ln s0|`` plus the reach of a sum of ``steps`` drawn log returns: ``steps·|mean|``
    plus 10 standard deviations of that sum (``sd·√(steps·block_length)`` bounds it for
    blocks of correlated draws), and never more than ``steps·max|r|``."""
    n = len(log_returns)
    mean = sum(log_returns) / n  # sum, not fsum: huge returns overflow to inf, not raise
    sd = math.sqrt(sum((r - mean) * (r - mean) for r in log_returns) / n)
    worst = steps * max(abs(r) for r in log_returns)
    likely = steps * abs(mean) + SPREAD * sd * math.sqrt(steps * block_length)
    terms = {"s0": abs(math.log(s0)), field: min(worst, likely)}
    _check(terms, path, f"|ln s0| + steps·|mean| + {SPREAD:g}·sd·√(steps·block_length) of "
                        "the log returns", "steps")

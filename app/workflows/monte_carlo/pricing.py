"""The pricing params of the path models: risk-free rate, dividend yield and discounting, a
barrier and how it is monitored, and which Greek estimators to run.

With ``rate`` given and no ``drift``, GBM is simulated under the risk-neutral measure (drift
``rate − dividend_yield``), and a ``payoff`` is discounted by ``exp(−rate·horizon)``, so its
mean is the option's price without a hand-written discount factor in the expression.
"""

from __future__ import annotations

from app.workflows.monte_carlo.checks import boolean, choice, get, join, number
from app.workflows.monte_carlo.errors import MonteCarloInputError
from app.workflows.monte_carlo.reach import MAX_LOG_REACH

BARRIER_KINDS = ("up-and-out", "up-and-in", "down-and-out", "down-and-in")
MONITORING = ("continuous", "discrete")
GREEKS = ("delta", "vega")
GREEK_METHODS = ("pathwise", "likelihood_ratio")
PRICING_DEFAULTS = {"rate": 0.0, "dividend_yield": 0.0, "discount": True,
                    "monitoring": "continuous", "greeks": []}  # fmt: skip


def read_rates(p: dict, path: str) -> dict:
    """``rate``, ``dividend_yield`` and the drift (risk-neutral when only ``rate`` is given)."""
    rate_given = get(p, "rate", path, None) is not None
    rate = number(get(p, "rate", path, 0.0), join(path, "rate"))
    dividend = number(get(p, "dividend_yield", path, 0.0), join(path, "dividend_yield"))
    drift = get(p, "drift", path, None)
    if drift is None and not rate_given:
        raise MonteCarloInputError(join(path, "drift"), "is required unless rate is given "
                                                        "(then the drift is rate - dividend_yield)")
    drift = rate - dividend if drift is None else number(drift, join(path, "drift"))
    return {"drift": drift, "rate": rate, "dividend_yield": dividend}


def check_discounting(rate: float, horizon: float, path: str) -> None:
    """``exp(−rate·horizon)`` stays a normal float64 (checked before the drift's reach, which
    is rate − dividend_yield when derived)."""
    if abs(rate) * horizon > MAX_LOG_REACH:
        raise MonteCarloInputError(join(path, "rate"), f"|rate|·horizon must be at most "
                                                       f"{MAX_LOG_REACH:g}")


def read_barrier(p: dict, path: str, s0: float) -> dict | None:
    raw = get(p, "barrier", path, None)
    if raw is None:
        return None
    field = join(path, "barrier")
    if not isinstance(raw, dict):
        raise MonteCarloInputError(field, "must be an object")
    kind = choice(get(raw, "kind", field), join(field, "kind"), BARRIER_KINDS)
    level = number(get(raw, "level", field), join(field, "level"), 0, lo_open=True)
    up = kind.startswith("up")
    if (level <= s0) if up else (level >= s0):
        raise MonteCarloInputError(join(field, "level"), f"an {kind.split('-')[0]} barrier must "
                                                         f"lie {'above' if up else 'below'} "
                                                         f"s0 ({s0:g})")
    return {"kind": kind, "level": level}


def read_pricing(p: dict, path: str, out: dict) -> dict:
    """The GBM pricing options, given the already read core params ``out``."""
    monitoring = choice(get(p, "monitoring", path, PRICING_DEFAULTS["monitoring"]),
                        join(path, "monitoring"), MONITORING)
    barrier = read_barrier(p, path, out["s0"])
    greeks = read_greek_methods(get(p, "greeks", path, []), join(path, "greeks"))
    field = join(path, "greeks")
    if greeks and out["volatility"] == 0:
        raise MonteCarloInputError(field, "need volatility > 0")
    if barrier is not None and "likelihood_ratio" in greeks:
        raise MonteCarloInputError(field, "likelihood_ratio is for payoffs without a barrier "
                                          "(pathwise covers barriers)")
    if barrier is not None and greeks and monitoring != "continuous":
        raise MonteCarloInputError(field, "pathwise Greeks of a barrier need continuous "
                                          "monitoring (a discrete knock-out is not smooth)")
    return {"discount": boolean(get(p, "discount", path, PRICING_DEFAULTS["discount"]),
                                join(path, "discount")),
            "monitoring": monitoring, "barrier": barrier, "greeks": greeks}


def read_greek_methods(value, field: str) -> list[str]:
    if not isinstance(value, list):
        raise MonteCarloInputError(field, f"must be a list of {', '.join(GREEK_METHODS)}")
    methods = [choice(v, join(field, i), GREEK_METHODS) for i, v in enumerate(value)]
    if len(set(methods)) != len(methods):
        raise MonteCarloInputError(field, "must not repeat a method")
    return methods

"""Closed forms for GBM that the engine is checked against (tests and benchmarks): the
Black–Scholes price and Greeks, the probability that the running maximum reaches a level,
and Reiner and Rubinstein's (1991) barrier option prices without rebate (in Haug's
notation, with cost of carry b = rate − dividend_yield)."""

from __future__ import annotations

import math

from scipy.stats import norm


def black_scholes(s0: float, strike: float, rate: float, sigma: float, t: float,
                  dividend: float = 0.0, call: bool = True) -> dict:  # fmt: skip
    """Price, delta and vega of a European call or put."""
    root = sigma * math.sqrt(t)
    d1 = (math.log(s0 / strike) + (rate - dividend + sigma**2 / 2) * t) / root
    d2 = d1 - root
    carry, disc = math.exp(-dividend * t), math.exp(-rate * t)
    if call:
        price = s0 * carry * norm.cdf(d1) - strike * disc * norm.cdf(d2)
        delta = carry * norm.cdf(d1)
    else:
        price = strike * disc * norm.cdf(-d2) - s0 * carry * norm.cdf(-d1)
        delta = -carry * norm.cdf(-d1)
    return {"price": price, "delta": delta, "vega": s0 * carry * norm.pdf(d1) * math.sqrt(t)}


def max_reaches(s0: float, level: float, drift: float, sigma: float, t: float) -> float:
    """P(max over [0, t] of S ≥ level), level > s0, for dS/S = drift dt + sigma dW."""
    h = math.log(level / s0)
    nu = drift - sigma**2 / 2
    root = sigma * math.sqrt(t)
    return norm.cdf((-h + nu * t) / root) + math.exp(2 * nu * h / sigma**2) * \
        norm.cdf((-h - nu * t) / root)  # fmt: skip


def barrier_call(kind: str, s0: float, strike: float, level: float, rate: float,
                 sigma: float, t: float, dividend: float = 0.0) -> float:  # fmt: skip
    """A continuously monitored barrier call ("down-and-out", "up-and-in", ...)."""
    b = rate - dividend
    root = sigma * math.sqrt(t)
    mu = (b - sigma**2 / 2) / sigma**2
    eta = 1.0 if kind.startswith("down") else -1.0
    carry, disc = math.exp((b - rate) * t), math.exp(-rate * t)
    x1 = math.log(s0 / strike) / root + (1 + mu) * root
    x2 = math.log(s0 / level) / root + (1 + mu) * root
    y1 = math.log(level**2 / (s0 * strike)) / root + (1 + mu) * root
    y2 = math.log(level / s0) / root + (1 + mu) * root
    ratio = level / s0
    a = s0 * carry * norm.cdf(x1) - strike * disc * norm.cdf(x1 - root)
    bb = s0 * carry * norm.cdf(x2) - strike * disc * norm.cdf(x2 - root)
    c = (s0 * carry * ratio ** (2 * (mu + 1)) * norm.cdf(eta * y1)
         - strike * disc * ratio ** (2 * mu) * norm.cdf(eta * y1 - eta * root))
    d = (s0 * carry * ratio ** (2 * (mu + 1)) * norm.cdf(eta * y2)
         - strike * disc * ratio ** (2 * mu) * norm.cdf(eta * y2 - eta * root))
    above = strike > level
    prices = {
        "down-and-in": c if above else a - bb + d,
        "up-and-in": a if above else bb - c + d,
        "down-and-out": a - c if above else bb - d,
        "up-and-out": 0.0 if above else a - bb + c - d,
    }
    return prices[kind]

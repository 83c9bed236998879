"""From simulated paths to outcomes and the quantities estimated alongside them.

A path model's outcome is its final price S, or ``payoff(S)``, times the barrier's weight
(the probability the path survived a knock-out level, or one minus it for knock-in) and the
discount factor ``exp(−rate·horizon)``. Next to it a block reports per-path columns for its
tallies: the probabilities of touching the watched thresholds and barrier, and, for GBM,
the control variate (the terminal price, whose mean ``s0·exp(drift·horizon)`` is known) and
the Greek estimators:

* pathwise: delta = disc·f'(S)·S/s0, vega = disc·f'(S)·S·(W − σ·T), with f' from the
  compiled payoff evaluated on dual numbers (``dual.py``); with a continuously watched
  barrier, Y = disc·f(S)·g(w) (g(w) = w for out, 1 − w for in) and the weight's own
  derivatives (``barrier_greeks.py``) add disc·f(S)·g'(w)·dw;
* likelihood ratio: delta = Y·Z/(s0·σ·√T), vega = Y·((Z² − 1)/σ − Z·√T), with
  Z = W/√T the standardised Brownian motion at the horizon and Y the discounted payoff.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from app.workflows.monte_carlo.expression import compile_expression
from app.workflows.monte_carlo.validation import PAYOFF_NAMES
from workers.monte_carlo.engine.barrier_greeks import BarrierGreeks
from workers.monte_carlo.engine.dual import value_and_derivative
from workers.monte_carlo.engine.monitors import Levels
from workers.monte_carlo.engine.paths import PathBlock, Walk


def crossing_sides(thresholds: list[float], s0: float) -> list[tuple[float, float] | bool]:
    """Per threshold: True (rising to it) or False (falling to it) when it must be watched,
    or the (p_hit_above, p_hit_below) every path gives at time 0 already."""
    sides: list = []
    for t in thresholds:
        if t <= 0:
            sides.append((1.0, 0.0))  # a price is above it and never reaches it
        elif t == s0:
            sides.append((1.0, 1.0))
        else:
            sides.append(t > s0)
    return sides


class PathOutcome:
    """The outcome and tally columns of one path model's spec."""

    def __init__(self, spec: dict) -> None:
        params = spec["params"]
        self.spec, self.s0 = spec, params["s0"]
        payoff = params.get("payoff")
        self.payoff = compile_expression(payoff, PAYOFF_NAMES) if payoff else None
        thresholds = spec["thresholds"] if spec["path_crossing"] else []
        self.sides = crossing_sides(thresholds, self.s0)
        logs = [math.log(t) for t, side in zip(thresholds, self.sides, strict=True)
                if isinstance(side, bool)]  # fmt: skip
        ups = [side for side in self.sides if isinstance(side, bool)]
        self.barrier = params.get("barrier")
        if self.barrier is not None:
            logs.append(math.log(self.barrier["level"]))
            ups.append(self.barrier["kind"].startswith("up"))
        continuous = spec["model"] == "gbm" and params["monitoring"] == "continuous"
        self.levels = Levels(np.array(logs), np.array(ups, dtype=bool), continuous) \
            if logs else None  # fmt: skip
        rate, horizon = params.get("rate", 0.0), params.get("horizon", 1.0)
        self.discount = math.exp(-rate * horizon) if payoff and params.get("discount") else 1.0
        self.greeks = params.get("greeks", [])
        self.control = spec["control_variate"]

    @property
    def plain_price(self) -> bool:
        """The outcome is the final price itself (its logs feed the quantile sketch)."""
        return self.payoff is None and self.barrier is None

    def outcome(self, paths: PathBlock, prices: np.ndarray) -> np.ndarray:
        values = prices if self.payoff is None else \
            np.broadcast_to(np.asarray(self.payoff({"S": prices}), dtype=float),
                            prices.shape).copy()  # fmt: skip
        if self.barrier is not None:
            alive = paths.survival[-1]
            values = values * (alive if self.barrier["kind"].endswith("out") else 1.0 - alive)
        return values * self.discount if self.discount != 1.0 else values

    def touched(self, paths: PathBlock) -> np.ndarray | None:
        """(watched levels, paths): probability each path touched each level."""
        return None if paths.survival is None else 1.0 - paths.survival

    def estimate_names(self) -> list[str]:
        names = []
        if self.control:
            names += ["outcome", "control"]
        for method in self.greeks:
            names += [f"delta.{method}", f"vega.{method}"]
        return names

    def estimate_columns(self, paths: PathBlock, prices: np.ndarray,
                         values: np.ndarray) -> np.ndarray | None:  # fmt: skip
        names = self.estimate_names()
        if not names:
            return None
        p = self.spec["params"]
        columns = []
        if self.control:
            columns += [values, prices]
        sigma, horizon, steps = p["volatility"], p["horizon"], p["steps"]
        w = paths.end_sum * math.sqrt(horizon / steps)  # W at the horizon
        for method in self.greeks:
            if method == "pathwise":
                columns += self._pathwise(paths, prices, w)
            else:
                z = w / math.sqrt(horizon)
                columns += [values * z / (self.s0 * sigma * math.sqrt(horizon)),
                            values * ((z * z - 1) / sigma - z * math.sqrt(horizon))]
        return np.array(columns)

    def barrier_greeks(self, walk: Walk) -> Callable[[int, bool], BarrierGreeks] | None:
        """The factory of barrier-weight derivative trackers, when pathwise Greeks of a
        barrier payoff are asked for."""
        if self.barrier is None or "pathwise" not in self.greeks:
            return None
        p = self.spec["params"]
        level, up = math.log(self.barrier["level"]), self.barrier["kind"].startswith("up")
        dt = p["horizon"] / p["steps"]
        return lambda n, mirror: BarrierGreeks(level, up, walk.a, self.s0, p["volatility"],
                                               dt, n, mirror)

    def _pathwise(self, paths: PathBlock, prices: np.ndarray, w: np.ndarray) -> list:
        p = self.spec["params"]
        sigma, horizon = p["volatility"], p["horizon"]
        value, slope = (value_and_derivative(self.payoff, prices) if self.payoff
                        else (prices, np.ones_like(prices)))  # fmt: skip
        slope = slope * prices * self.discount
        delta, vega = slope / self.s0, slope * (w - sigma * horizon)
        if self.barrier is None:
            return [delta, vega]
        weight = paths.survival[-1]
        out = self.barrier["kind"].endswith("out")
        factor, sign = (weight, 1.0) if out else (1.0 - weight, -1.0)
        value = value * self.discount * sign
        derivatives = paths.weight_derivatives
        return [delta * factor + value * derivatives["s0"],
                vega * factor + value * derivatives["volatility"]]

    def control_mean(self) -> float:
        p = self.spec["params"]
        return self.s0 * math.exp(p["drift"] * p["horizon"])

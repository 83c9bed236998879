"""Monte Carlo precision: variance-reduction factors against plain Monte Carlo in the same run,
and barrier monitoring against closed forms.

    python -m benchmarks.montecarlo_precision [--paths 262144] [--steps 52]

A European call (S0 = K = 100, rate 5%, σ = 0.2, one year) is priced by plain Monte Carlo,
antithetic variates, the terminal-price control variate, scrambled Sobol points and Sobol
with the control variate, all with the same number of paths. The variance-reduction factor
is (plain standard error / method's standard error)²: how many times more plain paths the
same precision would take; "per CPU second" divides it by the method's extra cost. Each
figure is checked against Black–Scholes (error in standard errors), and each method's
result is compared between 1 and 4 shards (seed stability). Barriers: a down-and-out and
an up-and-out call and P(max ≥ 120), continuous (Brownian-bridge) and discrete monitoring,
against their closed forms; the Greeks of both calls against theirs.
"""

from __future__ import annotations

import argparse
import json
import time

from benchmarks.report import print_table, save
from workers.monte_carlo.engine import simulate
from workers.monte_carlo.engine.closed_forms import barrier_call, black_scholes, max_reaches

S0, K, RATE, SIGMA = 100.0, 100.0, 0.05, 0.2
METHODS = {
    "plain Monte Carlo": {},
    "antithetic variates": {"antithetic": True},
    "control variate (terminal price)": {"control_variate": True},
    "Sobol (scrambled, Brownian bridge)": {"sampling": "sobol"},
    "Sobol + control variate": {"sampling": "sobol", "control_variate": True},
}
VOLATILE = ("shards", "compute_seconds")


def call_spec(paths: int, steps: int, **extra) -> dict:
    params = {"s0": S0, "rate": RATE, "volatility": SIGMA, "steps": steps,
              "payoff": f"max(S - {K:g}, 0)"}
    params.update(extra.pop("params", {}))
    return {"model": "gbm", "n_simulations": paths, "seed": 20261202, "sample_paths": 0,
            **extra, "params": params}


def _timed(spec: dict, shards: int = 1) -> tuple[dict, float]:
    started = time.process_time()
    result = simulate(spec, shards)
    return result, time.process_time() - started


def _same(a: dict, b: dict) -> bool:
    def body(r: dict) -> str:
        return json.dumps({k: v for k, v in r.items() if k not in VOLATILE}, sort_keys=True)
    return body(a) == body(b)


def variance_reduction(paths: int, steps: int) -> dict:
    truth = black_scholes(S0, K, RATE, SIGMA, 1.0)["price"]
    rows, out = [], {}
    base_error = base_cpu = None
    for name, extra in METHODS.items():
        spec = call_spec(paths, steps, **extra)
        result, cpu = _timed(spec)
        sharded, _ = _timed(spec, 4)
        error = result["standard_error"]
        if base_error is None:
            base_error, base_cpu = error, cpu
        factor = (base_error / error) ** 2
        efficiency = factor * base_cpu / cpu
        z = (result["mean"] - truth) / error
        stable = _same(result, sharded)
        rows.append([name, result["mean"], error, z, factor, efficiency, cpu,
                     "yes" if stable else "NO"])
        out[name] = {"mean": result["mean"], "standard_error": error, "z_vs_closed_form": z,
                     "variance_reduction": factor, "per_cpu_second": efficiency,
                     "cpu_seconds": cpu, "same_with_4_shards": stable}
    print_table(f"European call, {paths:,} paths x {steps} steps (Black-Scholes {truth:.5f})",
                ["method", "price", "std error", "error/SE", "variance reduction",
                 "per CPU second", "CPU s", "1 = 4 shards"], rows)
    return {"closed_form": truth, "methods": out}


def barriers(paths: int, steps: int) -> dict:
    cases = [("down-and-out call, H = 90", {"kind": "down-and-out", "level": 90}),
             ("up-and-out call, H = 130", {"kind": "up-and-out", "level": 130})]
    rows, out = [], {}
    for name, barrier in cases:
        truth = barrier_call(barrier["kind"], S0, K, barrier["level"], RATE, SIGMA, 1.0)
        for monitoring in ("continuous", "discrete"):
            result = simulate(call_spec(paths, steps, params={"barrier": barrier,
                                                              "monitoring": monitoring}))
            z = (result["mean"] - truth) / result["standard_error"]
            rows.append([name, monitoring, result["mean"], result["standard_error"], truth, z])
            out[f"{name}, {monitoring}"] = {"estimate": result["mean"], "closed_form": truth,
                                            "standard_error": result["standard_error"], "z": z}
    truth = max_reaches(S0, 120, 0.05, SIGMA, 1.0)
    for monitoring in ("continuous", "discrete"):
        spec = call_spec(paths, steps, thresholds=[120], path_crossing=True,
                         params={"payoff": None, "rate": None, "drift": 0.05,
                                 "monitoring": monitoring})
        row = simulate(spec)["thresholds"][0]
        error = row["p_hit_standard_error"]
        z = (row["p_hit_above"] - truth) / error
        rows.append(["P(max >= 120), drift 0.05", monitoring, row["p_hit_above"], error, truth,
                     z])
        out[f"P(max >= 120), {monitoring}"] = {"estimate": row["p_hit_above"],
                                               "closed_form": truth, "standard_error": error,
                                               "z": z}
    print_table(f"Barriers, {paths:,} paths x {steps} steps, against closed forms "
                "(Reiner-Rubinstein; reflection principle)",
                ["what", "monitoring", "estimate", "std error", "closed form", "error/SE"],
                [[*r[:2], f"{r[2]:.5f}", f"{r[3]:.5f}", f"{r[4]:.5f}", r[5]] for r in rows])
    return out


def greeks(paths: int, steps: int) -> dict:
    """Delta and vega of the European call (both estimators) and of the down-and-out call
    (pathwise), against Black-Scholes and the Reiner-Rubinstein price's slopes."""
    bs = black_scholes(S0, K, RATE, SIGMA, 1.0)
    barrier = {"kind": "down-and-out", "level": 90}

    def slope(name: str) -> float:
        args = {"s0": S0, "strike": K, "level": 90, "rate": RATE, "sigma": SIGMA, "t": 1.0}
        up, down = {**args, name: args[name] + 1e-4}, {**args, name: args[name] - 1e-4}
        return (barrier_call("down-and-out", **up) - barrier_call("down-and-out", **down)) / 2e-4

    cases = [("European call", {"greeks": ["pathwise", "likelihood_ratio"]},
              {"delta": bs["delta"], "vega": bs["vega"]}),
             ("down-and-out call, H = 90", {"greeks": ["pathwise"], "barrier": barrier},
              {"delta": slope("s0"), "vega": slope("sigma")})]
    rows, out = [], {}
    for name, params, truth in cases:
        result, cpu = _timed(call_spec(paths, steps, params=params))
        for greek, methods in result["greeks"].items():
            for method, e in methods.items():
                z = (e["value"] - truth[greek]) / e["standard_error"]
                rows.append([name, greek, method, f"{e['value']:.4f}",
                             f"{e['standard_error']:.4f}", f"{truth[greek]:.4f}", z])
                out[f"{name}, {greek}, {method}"] = {**e, "closed_form": truth[greek], "z": z}
    print_table(f"Greeks, {paths:,} paths x {steps} steps (pseudo-random), against closed forms",
                ["option", "greek", "estimator", "estimate", "std error", "closed form",
                 "error/SE"], rows)
    return out


def run(paths: int, steps: int) -> dict:
    return {"paths": paths, "steps": steps,
            "variance_reduction": variance_reduction(paths, steps),
            "barriers": barriers(paths, steps), "greeks": greeks(paths, steps)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--paths", type=int, default=1 << 18)
    parser.add_argument("--steps", type=int, default=52)
    args = parser.parse_args()
    save("montecarlo_precision", run(args.paths, args.steps))


if __name__ == "__main__":
    main()

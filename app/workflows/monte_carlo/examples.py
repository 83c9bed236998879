"""Complete ``monte_carlo`` params, one per model (see :class:`app.workflows.registry.Example`)."""

from app.workflows.registry import Example

EXAMPLES = (
    Example("gbm: a price over a year in weekly steps, and a call option's payoff", {
        "model": "gbm", "n_simulations": 20_000, "seed": 7,
        "params": {"s0": 100, "drift": 0.05, "volatility": 0.2, "horizon": 1, "steps": 52,
                   "payoff": "max(S - 105, 0)"},
        "thresholds": [10]}),
    Example("gbm: a down-and-out call priced risk-neutrally, the barrier watched continuously, "
            "on Sobol paths with the terminal price as control variate", {
        "model": "gbm", "n_simulations": 131_072, "seed": 7, "sampling": "sobol",
        "control_variate": True,
        "params": {"s0": 100, "rate": 0.05, "volatility": 0.2, "horizon": 1, "steps": 52,
                   "payoff": "max(S - 100, 0)",
                   "barrier": {"kind": "down-and-out", "level": 90}}}),
    Example("gbm: a half-year call on a dividend payer, its delta and vega by both estimators", {
        "model": "gbm", "n_simulations": 100_000, "seed": 7, "antithetic": True,
        "params": {"s0": 100, "rate": 0.05, "dividend_yield": 0.02, "volatility": 0.2,
                   "horizon": 0.5, "steps": 1, "payoff": "max(S - 100, 0)",
                   "greeks": ["pathwise", "likelihood_ratio"]}}),
    Example("bootstrap: twenty steps resampled from a price history in blocks of two", {
        "model": "bootstrap", "n_simulations": 10_000, "seed": 11,
        "params": {"history": [100, 101.5, 99.8, 102.3, 103.1, 101.9, 104.6, 105.2, 103.8,
                               106.1],
                   "steps": 20, "block_length": 2},
        "thresholds": [110]}),
    Example("scenario: profit from uncertain units, price and cost; P(profit > 0)", {
        "model": "scenario", "n_simulations": 50_000, "seed": 3,
        "params": {"variables": {"units": {"dist": "pert", "low": 800, "mode": 1000,
                                           "high": 1500},
                                 "price": {"dist": "normal", "mean": 25, "std": 3},
                                 "cost": {"dist": "uniform", "low": 15_000, "high": 20_000}},
                   "correlation": {"variables": ["units", "price"],
                                   "matrix": [[1, -0.4], [-0.4, 1]]},
                   "expression": "units * price - cost"},
        "thresholds": [0]}),
)

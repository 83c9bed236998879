"""A priced payoff's barrier, control variate and Greeks in the CLI summary and the
Markdown report."""

from rich.console import Console

from app.cli.results import monte_carlo
from app.reports import job_markdown
from workers.monte_carlo.engine import simulate

PARAMS = {"s0": 100, "rate": 0.05, "volatility": 0.2, "steps": 4,
          "payoff": "max(S - 100, 0)"}


def rendered(result: dict) -> str:
    console = Console(width=120, record=True)
    for item in monte_carlo(result, {}):
        console.print(item)
    return console.export_text()


def test_greeks_are_a_table_in_the_cli_and_the_report():
    result = simulate({"model": "gbm", "n_simulations": 4_000, "seed": 1,
                       "params": {**PARAMS, "greeks": ["pathwise", "likelihood_ratio"]}})
    text = rendered(result)
    assert "Greeks" in text and "likelihood ratio" in text and "vega" in text
    report = job_markdown({"id": "j1", "workflow": "monte_carlo", "state": "succeeded"}, result)
    assert "### Greeks" in report and "| delta | pathwise |" in report


def test_barrier_sampling_and_control_variate_are_summarised():
    result = simulate({"model": "gbm", "n_simulations": 16_384, "seed": 1,
                       "sampling": "sobol", "control_variate": True,
                       "params": {**PARAMS, "barrier": {"kind": "up-and-out", "level": 130}}})
    text = rendered(result)
    assert "Pricing" in text and "up-and-out at 130 (continuous)" in text
    assert "sobol" in text and "variance reduction" in text and "β" in text
    assert "Greeks" not in text

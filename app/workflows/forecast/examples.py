"""Complete ``forecast`` and ``scenario_forecast`` params (see
:class:`app.workflows.registry.Example`)."""

from app.workflows.registry import Example

MONTHLY = [112, 118, 132, 129, 121, 135, 148, 148, 136, 119, 104, 118,
           115, 126, 141, 135, 125, 149, 170, 170, 158, 133, 114, 140]

FORECAST = (
    Example("Two years of monthly sales, six months ahead with 80 and 95 % intervals", {
        "series": [{"name": "sales", "values": MONTHLY, "frequency": "MS"}],
        "horizon": 6, "season_length": 12, "levels": [80, 95]}),
    Example("Two series: one with timestamps and a missing value, one with its own model", {
        "series": [
            {"name": "visits", "values": [31, 35, None, 40, 38, 44, 47, 45],
             "timestamps": ["2025-01-06", "2025-01-13", "2025-01-20", "2025-01-27",
                            "2025-02-03", "2025-02-10", "2025-02-17", "2025-02-24"]},
            {"name": "signups", "values": [5, 7, 6, 9, 8, 11, 10, 13], "frequency": "W",
             "model": "theta"}],
        "horizon": 3, "backtest_origins": 2}),
)

SCENARIO_FORECAST = (
    Example("Simulated paths of monthly sales a year ahead: fan chart, P(sales > 160)", {
        "series": {"values": MONTHLY, "frequency": "MS", "horizon": 12, "season_length": 12,
                   "model": "ets"},
        "n_paths": 2000, "seed": 42, "thresholds": [160]}),
)

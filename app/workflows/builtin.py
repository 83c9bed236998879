"""The workflows that ship with DIA3; importing this module registers them."""

from app.workflows import (  # noqa: F401
    forecast,
    ingest,
    monte_carlo,
    scenario_forecast,
    sentiment,
    smoke,
    strategic_analysis,
    summarize,
    youtube,
)

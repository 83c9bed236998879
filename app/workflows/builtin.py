"""The workflows that ship with DIA3; importing this module registers them."""

from app.workflows import forecast, monte_carlo, sentiment, smoke  # noqa: F401

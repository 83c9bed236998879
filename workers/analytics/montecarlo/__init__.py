"""Monte Carlo engine: GBM, bootstrap and declarative scenario models, sharded and mergeable.

Plain functions with JSON-serialisable inputs and outputs, meant to be wrapped as tasks:
``plan_shards(spec, k)`` -> shard specs, ``run_shard(shard)`` -> partial stats,
``merge_shards(partials)`` -> result. ``simulate(spec)`` runs all shards in-process.
``scenario_forecast(spec)`` simulates future paths of a series from its forecast model.
"""

from .errors import MonteCarloInputError
from .expression import compile_expression
from .forecast_paths import scenario_forecast
from .shards import merge_shards, plan_shards, run_shard, simulate
from .validation import validate_spec

__all__ = [
    "MonteCarloInputError",
    "compile_expression",
    "merge_shards",
    "plan_shards",
    "run_shard",
    "scenario_forecast",
    "simulate",
    "validate_spec",
]

"""Monte Carlo engine: GBM, bootstrap and declarative scenario models, sharded and mergeable.

Plain functions with JSON-serialisable inputs and outputs, meant to be wrapped as tasks:
``plan_shards(spec, k)`` -> shard specs, ``run_shard(shard)`` -> partial stats,
``merge_shards(partials)`` -> result. ``simulate(spec)`` runs all shards in-process.
Validation and planning are the workflow's (``app.workflows.monte_carlo``).
"""

from app.workflows.monte_carlo.errors import MonteCarloInputError
from app.workflows.monte_carlo.expression import compile_expression
from app.workflows.monte_carlo.validation import validate_spec
from workers.monte_carlo.engine.shards import merge_shards, plan_shards, run_shard, simulate

__all__ = [
    "MonteCarloInputError",
    "compile_expression",
    "merge_shards",
    "plan_shards",
    "run_shard",
    "simulate",
    "validate_spec",
]

"""A validated spec cut into shards of contiguous random-number blocks (the canvas fans out a
step per shard; results do not depend on the number of shards)."""

from __future__ import annotations

import hashlib
import json
import math

from app.workflows.monte_carlo.errors import MonteCarloInputError
from app.workflows.monte_carlo.validation import validate_spec


def n_blocks(spec: dict) -> int:
    return math.ceil(spec["n_simulations"] / spec["block_size"])


def fingerprint(spec: dict) -> str:
    body = {k: v for k, v in spec.items() if k != "shard"}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]


def plan_shards(spec: dict, n_shards: int) -> list[dict]:
    """Validate ``spec`` and cut it into at most ``n_shards`` contiguous block ranges."""
    if isinstance(n_shards, bool) or not isinstance(n_shards, int) or n_shards < 1:
        raise MonteCarloInputError("n_shards", "must be a positive integer")
    normalised = validate_spec(spec) if "shard" not in spec else spec
    if normalised["model"] == "bootstrap" and normalised["antithetic"]:
        raise MonteCarloInputError("antithetic", "is not available for the bootstrap model")
    total = n_blocks(normalised)
    count = min(n_shards, total)
    edges = [round(i * total / count) for i in range(count + 1)]
    tag = fingerprint(normalised)
    return [
        {**normalised, "shard": {"index": i, "count": count, "block_start": edges[i],
                                 "block_stop": edges[i + 1], "fingerprint": tag}}
        for i in range(count)
    ]  # fmt: skip

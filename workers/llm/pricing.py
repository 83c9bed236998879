"""Per-model prices, so every call can report what it cost."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class ModelPrice:
    """USD per one million tokens."""

    input_per_million: float
    output_per_million: float

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        return (
            input_tokens * self.input_per_million + output_tokens * self.output_per_million
        ) / 1_000_000


class PriceTable:
    """Looks up a model's price by exact name, else by the longest configured prefix.

    The prefix rule lets ``gpt-4o`` price ``gpt-4o-2024-08-06``.
    """

    def __init__(self, prices: Mapping[str, ModelPrice | tuple[float, float]] | None = None):
        self._prices: dict[str, ModelPrice] = {}
        for model, price in (prices or {}).items():
            self._prices[model] = price if isinstance(price, ModelPrice) else ModelPrice(*price)

    def price_for(self, model: str) -> ModelPrice | None:
        if model in self._prices:
            return self._prices[model]
        prefixes = [name for name in self._prices if model.startswith(name)]
        return self._prices[max(prefixes, key=len)] if prefixes else None

    def cost(self, model: str, input_tokens: int, output_tokens: int) -> float | None:
        """Cost in USD, or ``None`` when the model has no configured price."""
        price = self.price_for(model)
        return None if price is None else price.cost(input_tokens, output_tokens)

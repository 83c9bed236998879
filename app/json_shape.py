"""Size limits on the shape of decoded JSON: nesting, keys per object, items per array.

Validation walks every key and item of a value, so a small-looking body can cost seconds:
300,000 unknown keys in ``params`` took 10-12 s of API CPU and answered with an 8.6 MB
list of errors. These limits are checked first, in one walk without recursion that stops
at the first container over a limit, so such a body costs about as much as decoding it.
No workflow takes more than ``MAX_ITEMS`` values in one list (a series of 100,000 values)
or more than a few hundred keys in one object.
"""

from __future__ import annotations

from typing import Any

MAX_DEPTH = 64
MAX_KEYS = 1_000
MAX_ITEMS = 100_000


class ShapeError(ValueError):
    """A value over one of the limits; ``path`` leads to it (keys and list indexes)."""

    def __init__(self, path: tuple[str, ...], message: str, too_deep: bool = False) -> None:
        super().__init__(message)
        self.path, self.message, self.too_deep = path, message, too_deep

    def messages(self, root: tuple[str, ...] = ()) -> dict | list:
        """The error nested along its path, like a marshmallow error's ``messages``."""
        nested: dict | list = [self.message]
        for part in reversed(root + self.path):
            nested = {part: nested}
        return nested


def check_shape(value: Any, max_depth: int = MAX_DEPTH, max_keys: int = MAX_KEYS,
                max_items: int = MAX_ITEMS) -> None:
    """Raise :class:`ShapeError` for the first object with more than ``max_keys`` keys,
    array with more than ``max_items`` items, or container nested deeper than ``max_depth``."""
    stack: list[tuple[Any, tuple[str, ...]]] = [(value, ())]
    while stack:
        item, path = stack.pop()
        if len(path) >= max_depth:
            raise ShapeError(path, f"nested deeper than {max_depth} levels", too_deep=True)
        if isinstance(item, dict):
            if len(item) > max_keys:
                raise ShapeError(path, f"Has {len(item)} keys; an object may have at most "
                                       f"{max_keys}.")
            children = ((str(key), child) for key, child in item.items())
        else:
            if len(item) > max_items:
                raise ShapeError(path, f"Has {len(item)} items; a list may have at most "
                                       f"{max_items}.")
            children = ((str(index), child) for index, child in enumerate(item))
        stack.extend((child, (*path, key)) for key, child in children
                     if isinstance(child, dict | list))

"""One way for every list endpoint to size its page and shape its body."""

from __future__ import annotations

from typing import Any

from app.settings import get_settings


def page_limit(requested: int) -> int:
    """The page size to fetch: what was asked for, up to ``DIA3_PAGE_SIZE_MAX`` (a schema's
    default may be over it when an operator lowers the maximum)."""
    return min(requested, get_settings().page_size_max)


def page_body(page: Any) -> dict:
    """``{items, next_cursor}`` of a cursor page whose items have ``to_dict()``."""
    return {"items": [item.to_dict() for item in page.items], "next_cursor": page.next_cursor}

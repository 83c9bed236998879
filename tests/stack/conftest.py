"""Fixtures of the stack tests: the running stack (see stack.py) instead of the in-process
Redis, Chroma and workers the rest of the suite starts."""

from __future__ import annotations

import pytest
import requests

from app.client import APIError
from tests.conftest import wait_for
from tests.stack.stack import Stack


@pytest.fixture(scope="session", autouse=True)
def dia3_env():
    """The stack tests talk to containers only: nothing runs in this process."""
    return {}


@pytest.fixture(scope="session")
def stack() -> Stack:
    stack = Stack()

    def ready() -> bool:
        try:
            return stack.client().request("GET", "/readyz")["status"] == "ready"
        except (APIError, requests.RequestException):
            return False
    wait_for(ready, 120, interval=0.5, what="the stack to be ready through nginx")
    return stack


@pytest.fixture
def analyst(stack):
    """A client with a new analyst key in a tenant of its own."""
    return stack.client(stack.new_key("analyst"))

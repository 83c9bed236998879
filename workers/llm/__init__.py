"""LLM backends for the DIA3 agents: one interface over local (extractive), Ollama and OpenAI.

Typical use::

    client = build_llm_client(LLMSettings(backend="ollama", ...), redis_client)
    options = RequestOptions(role="perspective", evidence=[{"id": "d1", "text": "..."}])
    result = client.structured(messages, schema, options)
    result.data, result.usage.to_dict()

Names are imported lazily, so a process that never builds the OpenAI backend never pays
for importing the OpenAI SDK.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "BackendReply": ".backends.base",
    "ChatBackend": ".backends.base",
    "LOCAL_MODEL": ".backends.local_backend",
    "LocalBackend": ".backends.local_backend",
    "OllamaBackend": ".backends.ollama_backend",
    "OpenAIBackend": ".backends.openai_backend",
    "ResponseCache": ".cache",
    "ChatResult": ".client",
    "ChatStream": ".client",
    "LLMClient": ".client",
    "StructuredResult": ".client",
    "LLMError": ".errors",
    "LLMOutputError": ".errors",
    "LLMPermanentError": ".errors",
    "LLMTransientError": ".errors",
    "build_backend": ".factory",
    "build_llm_client": ".factory",
    "Evidence": ".messages",
    "LLMRequest": ".messages",
    "Message": ".messages",
    "RequestOptions": ".options",
    "ModelPrice": ".pricing",
    "PriceTable": ".pricing",
    "Admission": ".rate_limit",
    "RateLimits": ".rate_limit",
    "RedisRateLimiter": ".rate_limit",
    "RetryPolicy": ".retry",
    "Secret": ".secrets",
    "load_secret": ".secrets",
    "LLMSettings": ".settings",
    "UsageRecord": ".usage",
    "summarise_usage": ".usage",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))

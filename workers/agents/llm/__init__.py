"""LLM backends for the DIA3 agents: one interface over local (extractive), Ollama and OpenAI.

Typical use::

    client = build_llm_client(LLMSettings(backend="ollama", ...), redis_client)
    result = client.structured(messages, schema, evidence=[{"id": "d1", "text": "..."}],
                               role="perspective")
    result.data, result.usage.to_dict()
"""

from .backends.base import BackendReply, ChatBackend
from .backends.local_backend import LOCAL_MODEL, LocalBackend
from .backends.ollama_backend import OllamaBackend
from .backends.openai_backend import OpenAIBackend
from .cache import ResponseCache
from .client import ChatResult, ChatStream, LLMClient, StructuredResult
from .errors import LLMError, LLMOutputError, LLMPermanentError, LLMTransientError
from .factory import build_backend, build_llm_client
from .messages import Evidence, LLMRequest, Message
from .pricing import ModelPrice, PriceTable
from .rate_limit import Admission, RateLimits, RedisRateLimiter
from .retry import RetryPolicy
from .secrets import Secret, load_secret
from .settings import LLMSettings
from .usage import UsageRecord, summarise_usage

__all__ = [
    "LOCAL_MODEL",
    "Admission",
    "BackendReply",
    "ChatBackend",
    "ChatResult",
    "ChatStream",
    "Evidence",
    "LLMClient",
    "LLMError",
    "LLMOutputError",
    "LLMPermanentError",
    "LLMRequest",
    "LLMSettings",
    "LLMTransientError",
    "LocalBackend",
    "Message",
    "ModelPrice",
    "OllamaBackend",
    "OpenAIBackend",
    "PriceTable",
    "RateLimits",
    "RedisRateLimiter",
    "ResponseCache",
    "RetryPolicy",
    "Secret",
    "StructuredResult",
    "UsageRecord",
    "build_backend",
    "build_llm_client",
    "load_secret",
    "summarise_usage",
]

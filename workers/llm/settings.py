"""Everything the LLM layer can be configured with, as one plain value object.

The platform maps its environment variables onto this; nothing in the LLM layer reads the
environment itself. The API key is held as a :class:`Secret`, so printing the settings is safe.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from app import redis_keys
from workers.llm.pricing import ModelPrice
from workers.llm.secrets import Secret

BACKENDS = ("local", "embedded", "ollama", "openai")


@dataclass(frozen=True)
class LLMSettings:
    backend: str = "local"
    default_model: str | None = None
    role_models: Mapping[str, str] = field(default_factory=dict)

    ollama_url: str | None = None
    ollama_keep_alive: str | None = None
    openai_api_key: Secret | str | None = None  # a plain string is wrapped on creation
    openai_api_key_file: str | None = None
    openai_base_url: str | None = None
    openai_max_tokens_param: str = "max_completion_tokens"
    # auto | json_schema | json_object (see backends/openai_backend.py)
    openai_structured_output: str = "auto"
    # The model's context window; None reads it from the server (OpenAI-compatible backends).
    context_tokens: int | None = None
    # The `embedded` backend: an OpenAI-compatible llama.cpp server (DIA3's own or any).
    embedded_base_url: str | None = None
    embedded_api_key: Secret | str | None = None
    embedded_timeout_s: float = 600.0

    request_timeout_s: float = 60.0
    max_attempts: int = 4
    backoff_base_s: float = 0.5
    backoff_max_s: float = 20.0
    max_retry_after_s: float = 60.0

    cache_ttl_s: int = 7 * 24 * 3600  # 0 disables the response cache
    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None
    rate_limit_window_s: float = 60.0
    max_rate_limit_wait_s: float = 120.0

    prices: Mapping[str, ModelPrice | tuple[float, float]] = field(default_factory=dict)
    default_max_output_tokens: int = 1024
    redis_key_prefix: str = redis_keys.LLM

    def __post_init__(self) -> None:
        for name in ("openai_api_key", "embedded_api_key"):
            if isinstance(getattr(self, name), str):
                object.__setattr__(self, name, Secret(getattr(self, name)))

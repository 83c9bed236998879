"""LLM clients for the agent steps, configured from DIA3 settings (one per process and backend,
kept in :mod:`app.extensions`)."""

from __future__ import annotations

import json

from app import redis_keys
from app.extensions import process_local
from app.llm import BACKENDS, llm_server_key, openai_api_key
from app.redis_client import get_redis
from app.runtime.llm_model import default_model_name
from app.settings import get_settings
from workers.llm.factory import build_llm_client
from workers.llm.settings import LLMSettings

DEFAULT_MODELS = {"ollama": "llama3.2", "openai": "gpt-4o-mini", "local": "extractive-v1"}


def default_model(backend: str) -> str:
    """The model of ``backend`` when DIA3_LLM_MODEL does not name one (for `embedded`: the
    name the server gives the GGUF file it serves)."""
    if backend == "embedded":
        return default_model_name(get_settings().llm_model_path)
    return DEFAULT_MODELS[backend]


def parse_role_models(text: str) -> dict[str, str]:
    """'analyst=a,critic=b' → {'analyst': 'a', 'critic': 'b'}; raises ValueError if malformed."""
    out = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        role, sep, model = part.partition("=")
        if not sep or not role.strip() or not model.strip():
            raise ValueError(f"DIA3_LLM_ROLE_MODELS: expected role=model, got {part!r}")
        out[role.strip()] = model.strip()
    return out


def parse_prices(text: str) -> dict[str, tuple[float, float]]:
    if not text:
        return {}
    try:
        raw = json.loads(text)
        return {model: (float(p[0]), float(p[1])) for model, p in raw.items()}
    except (ValueError, TypeError, KeyError, IndexError):
        raise ValueError("DIA3_LLM_PRICES: expected JSON like {\"model\": [input, output]}"
                         ) from None


def llm_settings(backend: str):
    s = get_settings()
    return LLMSettings(
        backend=backend,
        default_model=(s.llm_model if backend == s.llm_backend and s.llm_model else
                       default_model(backend)),
        role_models=parse_role_models(s.llm_role_models) if backend == s.llm_backend else {},
        ollama_url=s.ollama_url,
        openai_api_key=openai_api_key(),
        openai_base_url=s.openai_base_url or None,
        openai_structured_output=s.openai_structured_output,
        context_tokens=s.llm_context_tokens or None,
        embedded_base_url=f"{s.llm_server_url.rstrip('/')}/v1" if s.llm_server_url else None,
        embedded_api_key=llm_server_key() if backend == "embedded" else None,
        embedded_timeout_s=s.llm_server_timeout_seconds,
        request_timeout_s=s.llm_timeout_seconds,
        max_attempts=s.llm_max_attempts,
        cache_ttl_s=s.llm_cache_ttl_seconds,
        requests_per_minute=s.llm_requests_per_minute or None,
        tokens_per_minute=s.llm_tokens_per_minute or None,
        prices=parse_prices(s.llm_prices),
        redis_key_prefix=redis_keys.LLM,
    )


def llm_client(backend: str | None = None):
    """The process's client for ``backend`` (default DIA3_LLM_BACKEND), built after fork."""
    backend = backend or get_settings().llm_backend
    if backend not in BACKENDS:
        raise ValueError(f"unknown LLM backend {backend!r}; use one of {', '.join(BACKENDS)}")
    return process_local(f"llm-client:{backend}",
                         lambda: build_llm_client(llm_settings(backend), get_redis()))

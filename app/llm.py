"""What the control plane knows of the LLM backends: their names, the OpenAI key (which the
knowledge base's OpenAI embedder needs too) and how the workers found each OpenAI-compatible
server to take a JSON schema. Workers build the clients (``workers.llm.configured``)."""

from __future__ import annotations

from pathlib import Path

import redis

from app import redis_keys
from app.settings import get_settings

BACKENDS = ("local", "embedded", "ollama", "openai")


def llm_server_key() -> str | None:
    """The key of the `embedded` backend's server: DIA3_LLM_SERVER_KEY, else the embedded
    server's generated token in the data directory (when ``dia3 up`` made one)."""
    from app.runtime.embedded_llm import token_path

    s = get_settings()
    if s.llm_server_key:
        return s.llm_server_key
    path = token_path(s.data_path)
    return path.read_text().strip() or None if path.exists() else None


def openai_api_key() -> str | None:
    """The OpenAI key from DIA3_OPENAI_API_KEY, else from the mounted secret file."""
    s = get_settings()
    if s.openai_api_key:
        return s.openai_api_key
    if s.openai_api_key_file and Path(s.openai_api_key_file).exists():
        return Path(s.openai_api_key_file).read_text().strip() or None
    return None


def structured_modes(client: redis.Redis, prefix: str = redis_keys.LLM) -> dict[str, str]:
    """Each OpenAI-compatible server's structured-output mode (json_schema or json_object) by
    its base URL, as the workers detected and share it (``workers.llm.structured_mode``)."""
    def text(value) -> str:
        return value.decode() if isinstance(value, bytes) else value
    return {text(k): text(v) for k, v in
            client.hgetall(redis_keys.llm_structured_modes(prefix)).items()}

"""What the control plane knows of the LLM backends: their names and the OpenAI key (which the
knowledge base's OpenAI embedder needs too). Workers build the clients
(``workers.llm.configured``)."""

from __future__ import annotations

from pathlib import Path

from app.settings import get_settings

BACKENDS = ("local", "ollama", "openai")


def openai_api_key() -> str | None:
    """The OpenAI key from DIA3_OPENAI_API_KEY, else from the mounted secret file."""
    s = get_settings()
    if s.openai_api_key:
        return s.openai_api_key
    if s.openai_api_key_file and Path(s.openai_api_key_file).exists():
        return Path(s.openai_api_key_file).read_text().strip() or None
    return None

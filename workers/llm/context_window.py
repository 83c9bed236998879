"""Reading a server's context window from what OpenAI-compatible servers publish.

There is no standard field: vLLM lists ``max_model_len`` per model, LM Studio
``max_context_length``, llama.cpp's server ``meta.n_ctx_train`` in ``/v1/models`` and the
window it allocated in ``/props`` (``default_generation_settings.n_ctx``, DIA3's embedded
server too). OpenAI itself publishes none.
"""

from __future__ import annotations

from typing import Any

import httpx

MODEL_FIELDS = ("max_model_len", "max_context_length", "context_length", "context_window")


def window_from_model_list(listing: Any, model: str) -> int | None:
    """The window of ``model`` (else of the only model) in a ``/v1/models`` answer."""
    entries = listing.get("data") if isinstance(listing, dict) else None
    if not isinstance(entries, list):
        return None
    dicts = [e for e in entries if isinstance(e, dict)]
    chosen = [e for e in dicts if e.get("id") == model] or (dicts if len(dicts) == 1 else [])
    for entry in chosen:
        for name in MODEL_FIELDS:
            if _positive(entry.get(name)):
                return int(entry[name])
        meta = entry.get("meta")
        if isinstance(meta, dict):
            for name in ("n_ctx", "n_ctx_train"):
                if _positive(meta.get(name)):
                    return int(meta[name])
    return None


def window_from_props(props: Any) -> int | None:
    settings = props.get("default_generation_settings") if isinstance(props, dict) else None
    n_ctx = settings.get("n_ctx") if isinstance(settings, dict) else None
    return int(n_ctx) if _positive(n_ctx) else None


def discover_window(base_url: str, api_key: str, model: str, timeout_s: float) -> int | None:
    """The server's context window for ``model``, or ``None`` when it publishes none.

    ``/props`` (the allocated window) wins over the model list (which may give the window
    the model was trained with, larger than the server allocated)."""
    headers = {"Authorization": f"Bearer {api_key}"}
    root = base_url.rstrip("/").removesuffix("/v1")
    with httpx.Client(timeout=timeout_s, headers=headers) as http:
        for url, read in ((f"{root}/props", window_from_props),
                          (f"{base_url.rstrip('/')}/models",
                           lambda body: window_from_model_list(body, model))):
            try:
                response = http.get(url)
                if response.is_success and (window := read(response.json())):
                    return window
            except (httpx.HTTPError, ValueError):
                continue
    return None


def _positive(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0

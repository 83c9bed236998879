"""Token-aware chunking with overlap, for plain text and for timed segments (transcripts).

Windows are measured in tokens, preferably with the embedding model's own tokenizer so a
chunk never exceeds what the model reads. ``ApproxTokenizer`` is a fast stand-in that
counts words and punctuation marks; WordPiece splits rare words further, so real model
token counts run roughly 10-30% higher than its counts.

A window that would end mid-sentence is pulled back to the last sentence or line break in
its final 40%, so chunks tend to hold whole sentences.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from tokenizers import Tokenizer

from app.workflows.knowledge.errors import InputError
from app.workflows.knowledge.models import Chunk  # noqa: F401

Span = tuple[int, int]


class TokenSpanner(Protocol):
    """Splits text into tokens, reported as (start, end) character offsets."""

    def spans(self, text: str) -> list[Span]: ...


class ModelTokenizer:
    """Token offsets from a Hugging Face ``tokenizers`` model (no truncation, no specials)."""

    def __init__(self, tokenizer: Tokenizer) -> None:
        # A private copy: the embedder's instance truncates at the model limit.
        self._tokenizer = Tokenizer.from_str(tokenizer.to_str())
        self._tokenizer.no_truncation()
        self._tokenizer.no_padding()

    def spans(self, text: str) -> list[Span]:
        encoding = self._tokenizer.encode(text, add_special_tokens=False)
        spans: list[Span] = []
        for start, end in encoding.offsets:
            # Sub-word pieces of one word share or continue offsets; merge empty ones.
            if spans and end <= spans[-1][1]:
                continue
            spans.append((start, end))
        return spans


class ApproxTokenizer:
    """Words and single punctuation marks as tokens: fast, dependency-free approximation."""

    _TOKEN = re.compile(r"\w+|[^\w\s]", re.UNICODE)

    def spans(self, text: str) -> list[Span]:
        return [m.span() for m in self._TOKEN.finditer(text)]


@dataclass(frozen=True)
class ChunkingConfig:
    """Chunk size and overlap, in tokens, and the most chunks one text may make (0: no
    limit; each chunk costs an embedding and a stored vector)."""

    chunk_tokens: int = 200
    overlap_tokens: int = 40
    max_chunks: int = 0

    def __post_init__(self) -> None:
        if not 8 <= self.chunk_tokens <= 8192:
            raise InputError("chunking.chunk_tokens", "must be between 8 and 8192")
        if not 0 <= self.overlap_tokens < self.chunk_tokens:
            raise InputError("chunking.overlap_tokens",
                             "must be at least 0 and smaller than chunk_tokens")


@dataclass(frozen=True)
class TimedSegment:
    """A piece of text shown from ``start`` to ``end`` seconds (e.g. a caption line)."""

    text: str
    start: float
    end: float


_SENTENCE_END = re.compile(r"[.!?…。！？][\"')\]]*$")


def chunk_text(text: str, tokenizer: TokenSpanner, config: ChunkingConfig) -> list[Chunk]:
    """Split ``text`` into overlapping token windows; chunk text is an exact slice of it."""
    spans = tokenizer.spans(text)
    chunks: list[Chunk] = []
    start = 0
    while start < len(spans):
        end = min(start + config.chunk_tokens, len(spans))
        if end < len(spans):
            end = _break_point(text, spans, start, end)
        if config.max_chunks and len(chunks) == config.max_chunks:
            raise InputError("file", f"the text makes more than {config.max_chunks} chunks",
                             reason="too_many_chunks")
        first, last = spans[start][0], spans[end - 1][1]
        chunks.append(Chunk(len(chunks), text[first:last], first, last, end - start))
        if end == len(spans):
            break
        start = _word_start(spans, max(end - config.overlap_tokens, start + 1), start + 1)
    return chunks


def _break_point(text: str, spans: list[Span], start: int, end: int) -> int:
    """Where to end a full window: after a sentence or line in its last 40% if possible,
    else between two words, never inside a word unless it fills the whole window."""
    earliest_sentence = start + max(1, (end - start) * 3 // 5)
    word_break = None
    for candidate in range(end, start, -1):
        gap = text[spans[candidate - 1][1] : spans[candidate][0]]
        if not gap:
            continue
        last_token = text[spans[candidate - 1][0] : spans[candidate - 1][1]]
        if candidate >= earliest_sentence and (
            "\n" in gap or _SENTENCE_END.search(last_token)
        ):
            return candidate
        if word_break is None:
            word_break = candidate
        if candidate < earliest_sentence:
            break
    return word_break or end


def _word_start(spans: list[Span], index: int, lowest: int) -> int:
    """Move ``index`` back to the first token of its word (tokens with no gap between)."""
    while index > lowest and spans[index][0] == spans[index - 1][1]:
        index -= 1
    return index


def chunk_segments(
    segments: Sequence[TimedSegment], tokenizer: TokenSpanner, config: ChunkingConfig
) -> list[Chunk]:
    """Chunk timed segments; each chunk spans from its first segment's start to its last's end.

    Segments are joined one per line, so breaks prefer segment boundaries.
    """
    kept = [s for s in segments if s.text.strip()]
    lines = [" ".join(s.text.split()) for s in kept]
    text = "\n".join(lines)
    bounds: list[Span] = []
    offset = 0
    for line in lines:
        bounds.append((offset, offset + len(line)))
        offset += len(line) + 1
    timed = []
    for chunk in chunk_text(text, tokenizer, config):
        covered = [i for i, (lo, hi) in enumerate(bounds)
                   if lo < chunk.end_char and hi > chunk.start_char]
        timed.append(Chunk(
            chunk.index, chunk.text, chunk.start_char, chunk.end_char, chunk.token_count,
            start_time=kept[covered[0]].start, end_time=kept[covered[-1]].end,
        ))
    return timed

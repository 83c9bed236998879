"""Token windows, overlap, sentence-friendly breaks, timed segments and stable ids."""

from __future__ import annotations

import pytest

from app.workflows.knowledge.errors import InputError
from app.workflows.knowledge.ids import chunk_id, document_id_for
from workers.knowledge.engine.chunking import (
    ApproxTokenizer,
    ChunkingConfig,
    ModelTokenizer,
    TimedSegment,
    chunk_segments,
    chunk_text,
)
from workers.knowledge.engine.ingest import tokenizer_for

WORDS = " ".join(f"w{i}" for i in range(100))


def test_windows_have_the_configured_size_and_overlap() -> None:
    chunks = chunk_text(WORDS, ApproxTokenizer(), ChunkingConfig(chunk_tokens=30,
                                                                 overlap_tokens=10))
    assert [c.token_count for c in chunks] == [30, 30, 30, 30, 20]
    assert chunks[0].text.split()[-10:] == chunks[1].text.split()[:10]
    assert chunks[-1].text.endswith("w99")
    for chunk in chunks:
        assert WORDS[chunk.start_char : chunk.end_char] == chunk.text
    assert [c.index for c in chunks] == list(range(5))


def test_no_overlap_partitions_the_text() -> None:
    chunks = chunk_text(WORDS, ApproxTokenizer(), ChunkingConfig(25, 0))
    assert " ".join(c.text for c in chunks) == WORDS


def test_breaks_prefer_sentence_ends() -> None:
    text = ("One two three four five six seven eight. " * 3).strip()
    chunks = chunk_text(text, ApproxTokenizer(), ChunkingConfig(chunk_tokens=12,
                                                                overlap_tokens=0))
    assert all(chunk.text.endswith(".") for chunk in chunks)
    assert chunks[0].text == "One two three four five six seven eight."


def test_short_text_is_one_chunk_and_empty_text_none() -> None:
    assert [c.text for c in chunk_text("  Just this.  ", ApproxTokenizer(),
                                       ChunkingConfig())] == ["Just this."]
    assert chunk_text("   ", ApproxTokenizer(), ChunkingConfig()) == []


def test_model_tokenizer_counts_word_pieces_and_never_cuts_words(local_embedder) -> None:
    text = " ".join(["Tokenisation of extraordinarily unfamiliar vocabulary."] * 30)
    tokenizer = ModelTokenizer(local_embedder.tokenizer)
    chunks = chunk_text(text, tokenizer, ChunkingConfig(chunk_tokens=40, overlap_tokens=8))

    for chunk in chunks:
        pieces = local_embedder.tokenizer.encode(chunk.text, add_special_tokens=False).ids
        assert len(pieces) == chunk.token_count <= 40
        assert text[chunk.start_char - 1 : chunk.start_char] in ("", " ")
        assert text[chunk.end_char : chunk.end_char + 1] in ("", " ")
    long_text = "word " * 2000
    assert len(tokenizer.spans(long_text)) == 2000  # not truncated at the model limit


def test_segments_chunks_carry_first_start_and_last_end() -> None:
    segments = [TimedSegment(f"line {i} has five words", i * 2.0, i * 2.0 + 1.5)
                for i in range(10)]
    segments.insert(3, TimedSegment("   ", 100.0, 101.0))
    chunks = chunk_segments(segments, ApproxTokenizer(), ChunkingConfig(12, 0))

    assert [c.text for c in chunks][:2] == ["line 0 has five words\nline 1 has five words",
                                            "line 2 has five words\nline 3 has five words"]
    assert (chunks[0].start_time, chunks[0].end_time) == (0.0, 3.5)
    assert (chunks[1].start_time, chunks[1].end_time) == (4.0, 7.5)
    assert chunks[-1].end_time == 19.5


@pytest.mark.parametrize(
    ("size", "overlap", "field"),
    [(4, 0, "chunking.chunk_tokens"), (100, 100, "chunking.overlap_tokens"),
     (100, -1, "chunking.overlap_tokens")],
)
def test_bad_chunking_settings(size, overlap, field) -> None:
    with pytest.raises(InputError) as caught:
        ChunkingConfig(size, overlap)
    assert caught.value.field == field


def test_ids_depend_only_on_content_and_position() -> None:
    assert document_id_for("Hello   world\n") == document_id_for("Hello world")
    assert document_id_for("Hello world") != document_id_for("Hello world!")
    first = chunk_id("doc-1", 0, "text")
    assert first == chunk_id("doc-1", 0, "text")
    assert len({first, chunk_id("doc-2", 0, "text"), chunk_id("doc-1", 1, "text"),
                chunk_id("doc-1", 0, "text!")}) == 4


def test_chunk_tokenizer_follows_the_embedder(local_embedder, hashing_embedder) -> None:
    assert isinstance(tokenizer_for(local_embedder), ModelTokenizer)
    assert tokenizer_for(local_embedder) is tokenizer_for(local_embedder)
    assert isinstance(tokenizer_for(hashing_embedder), ApproxTokenizer)

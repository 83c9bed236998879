"""What one document may cost: characters, pages, chunks and time of extraction.

Each case used to run until the worker's time limit (or for hours): a few kilobytes of PDF
that extract to 20 MB of text, HTML that Python's parser takes minutes over, Markdown that
the inline rules took hours over, and text that makes tens of thousands of chunks.
"""

from __future__ import annotations

import time

import psutil
import pytest

from app.workflows.knowledge.errors import InputError
from workers.knowledge.engine.chunking import ApproxTokenizer, ChunkingConfig, chunk_text
from workers.knowledge.engine.deadline import ChildFailed, DeadlineExceeded, call_with_deadline
from workers.knowledge.engine.extract import DocumentRejected, ExtractLimits, extract_text

from .pdf_maker import make_expanding_pdf, make_pdf


def children() -> set[int]:
    """Child processes of this test process (the session's Chroma server among them)."""
    return {child.pid for child in psutil.Process().children()}


def rejected(data: bytes, limits: ExtractLimits, **kwargs) -> tuple[DocumentRejected, float]:
    began = time.perf_counter()
    with pytest.raises(DocumentRejected) as caught:
        extract_text(data, limits=limits, **kwargs)
    return caught.value, time.perf_counter() - began


def test_a_small_pdf_that_expands_to_megabytes_stops_at_the_character_limit() -> None:
    data = make_expanding_pdf()  # 10 pages sharing one 2 MB stream: 20 MB of text
    assert len(data) < 10_000
    error, elapsed = rejected(data, ExtractLimits(max_chars=100_000), filename="bomb.pdf")
    assert error.reason == "too_much_text" and "100000 characters" in error.message
    assert elapsed < 30  # stopped inside the first page, not after all ten (minutes)


def test_pages_over_the_limit_are_refused_before_extraction() -> None:
    error, _ = rejected(make_pdf([["one"]] * 4), ExtractLimits(max_pages=3))
    assert error.reason == "too_many_pages" and "4 pages; the limit is 3" in error.message
    assert extract_text(make_pdf([["one"]] * 3), limits=ExtractLimits(max_pages=3)).pages == 3


@pytest.mark.parametrize("filename", ["notes.txt", "notes.md", "notes.html"])
def test_text_over_the_character_limit_is_refused(filename: str) -> None:
    error, _ = rejected(b"word " * 201, ExtractLimits(max_chars=1000), filename=filename)
    assert error.reason == "too_much_text"
    assert len(extract_text(b"word " * 200, filename=filename,
                            limits=ExtractLimits(max_chars=1000)).text) <= 1000


def test_html_that_the_parser_takes_minutes_over_is_stopped_at_the_deadline() -> None:
    page = b"<html><body>" + b"<a " * 20_000  # 60 KB of unclosed tags: 3 minutes before
    before = children()
    error, elapsed = rejected(page, ExtractLimits(seconds=1), media_type="text/html")
    assert error.reason == "extraction_timeout" and "longer than 1 s" in error.message
    assert elapsed < 10
    assert children() <= before  # the parser's process was killed and reaped


def test_markdown_rules_are_linear_in_the_text() -> None:
    for unit in ("**a ", "__a ", "*a ", "_a ", "[a](", "![a](", "<a", "# a" + " " * 40 + "b\n"):
        source = (unit * (400_000 // len(unit))).encode()
        began = time.perf_counter()
        extract_text(source, filename="hostile.md")
        assert time.perf_counter() - began < 5, unit  # 32 KB of "**a " took 6 s before
    text = extract_text(b"# Title ##\n\n_snake_case_ and **bold** [link](http://x) <b>t</b>",
                        filename="a.md")
    assert (text.title, text.text) == ("Title", "Title\n\nsnake_case and bold link t")


def test_text_that_makes_too_many_chunks_is_refused() -> None:
    text = " ".join(f"w{i}." for i in range(1000))
    config = ChunkingConfig(chunk_tokens=20, overlap_tokens=0, max_chunks=5)
    with pytest.raises(InputError) as caught:
        chunk_text(text, ApproxTokenizer(), config)
    assert caught.value.reason == "too_many_chunks" and "more than 5 chunks" in str(caught.value)
    fitting = " ".join(f"w{i}." for i in range(50))  # 100 tokens: exactly 5 chunks
    assert len(chunk_text(fitting, ApproxTokenizer(), config)) == 5


def test_call_with_deadline_returns_raises_and_kills() -> None:
    before = children()
    assert call_with_deadline(lambda: {"text": "é" * 300_000}, 10) == {"text": "é" * 300_000}
    with pytest.raises(ChildFailed, match="ZeroDivisionError"):
        call_with_deadline(lambda: 1 / 0, 10)
    began = time.perf_counter()
    with pytest.raises(DeadlineExceeded):
        call_with_deadline(lambda: time.sleep(30), 0.5)
    assert time.perf_counter() - began < 5
    assert children() <= before

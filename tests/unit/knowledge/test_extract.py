"""Text extraction from uploads, and the clear rejection of bad files."""

from __future__ import annotations

import io

import pypdf
import pytest

from app.workflows.knowledge.chroma_client import connect_chroma
from app.workflows.knowledge.store import KnowledgeStore
from workers.knowledge.engine.chunking import ApproxTokenizer
from workers.knowledge.engine.extract import DocumentRejected, extract_text
from workers.knowledge.engine.ingest import ingest_file

from .pdf_maker import make_pdf


def test_plain_text_is_normalised() -> None:
    result = extract_text(b"Line one  \r\nLine\ttwo\n\n\n\nEnd", filename="a.txt")
    assert result.text == "Line one\nLine two\n\nEnd"
    assert result.media_type == "text/plain"


def test_utf8_bom_and_latin1_are_decoded() -> None:
    assert extract_text("\ufeffcafé".encode()).text == "café"
    assert extract_text("façade".encode("latin-1"), filename="old.txt").text == "façade"


def test_markdown_loses_markup_but_keeps_words() -> None:
    source = (
        "# Release notes ##\n\nSome **bold**, *italic* and `code` with [a link](http://x).\n"
        "![diagram](d.png)\n\n## C#\n\n```python\nprint(1)\n```\n> quoted\n\n---\nend"
    )
    result = extract_text(source.encode(), filename="notes.md")
    assert result.title == "Release notes"
    assert result.text == (
        "Release notes\n\nSome bold, italic and code with a link.\ndiagram\n\nC#\n\n"
        "print(1)\n\nquoted\n\nend"
    )


def test_html_text_without_scripts_or_styles() -> None:
    page = (
        b"<!DOCTYPE html><html><head><title>Fish &amp; Chips</title>"
        b"<style>p { color: red }</style><script>var secret = 1;</script></head>"
        b"<body><h1>Menu</h1><p>Cod\n   and chips, <b>hot</b>.</p>"
        b"<script>alert('x')</script><ul><li>Peas</li><li>Vinegar</li></ul></body></html>"
    )
    result = extract_text(page)
    assert result.media_type == "text/html"
    assert result.title == "Fish & Chips"
    assert result.text == "Menu\n\nCod and chips, hot.\n\nPeas\n\nVinegar"
    assert "secret" not in result.text and "color" not in result.text


def test_pdf_text_pages_and_title() -> None:
    data = make_pdf([["Quarterly report (draft)", "Revenue grew"], ["Page two"]],
                    title="Q3 Report")
    result = extract_text(data, media_type="application/pdf")
    assert result.text == "Quarterly report (draft)\nRevenue grew\n\nPage two"
    assert (result.title, result.pages, result.media_type) == ("Q3 Report", 2,
                                                               "application/pdf")


def encrypted_pdf() -> bytes:
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(make_pdf([["secret"]]))))
    writer.encrypt("password")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "kwargs", "reason"),
    [
        (b"", {}, "empty"),
        (b"   \n\t  ", {"filename": "blank.txt"}, "no_text"),
        (b"x" * 101, {"max_bytes": 100}, "too_large"),
        (b"PK\x03\x04 zipped", {"filename": "report.docx"}, "unsupported_type"),
        (b"\x89PNG\r\n", {"media_type": "image/png"}, "unsupported_type"),
        (b"\x00\x01\x02binary", {}, "unsupported_type"),
        (b"text with \x00 inside", {"filename": "a.txt"}, "corrupt"),
        (make_pdf([["half a file"]])[:150], {"filename": "cut.pdf"}, "corrupt"),
        (b"%PDF-1.7 not really a pdf", {}, "corrupt"),
        (b"plain words", {"filename": "fake.pdf"}, "corrupt"),
        (make_pdf([[]]), {}, "no_text"),
        (b"<html><script>only()</script></html>", {}, "no_text"),
    ],
    ids=["empty", "blank", "too-large", "docx", "png", "binary", "nul-in-text",
         "truncated-pdf", "garbage-pdf", "not-a-pdf", "pdf-without-text", "html-no-text"],
)
def test_bad_files_are_rejected_with_a_reason(data, kwargs, reason) -> None:
    with pytest.raises(DocumentRejected) as caught:
        extract_text(data, **kwargs)
    assert caught.value.reason == reason
    assert caught.value.field == "file"
    assert caught.value.to_dict() == {"error": "invalid_input", "field": "file",
                                      "reason": reason, "message": str(caught.value)}


def test_encrypted_pdf_is_rejected() -> None:
    with pytest.raises(DocumentRejected) as caught:
        extract_text(encrypted_pdf(), filename="locked.pdf")
    assert caught.value.reason == "encrypted"


def test_declared_type_wins_over_extension() -> None:
    assert extract_text(b"<p>hi</p>", filename="x.txt", media_type="text/html").text == "hi"
    assert extract_text(b"# T", filename="x.bin",
                        media_type="text/markdown; charset=utf-8").title == "T"


def test_ingest_file_indexes_extracted_text(tmp_path, hashing_embedder) -> None:
    store = KnowledgeStore(connect_chroma(path=tmp_path / "chroma"))
    collection = store.create_collection("acme", "files", hashing_embedder)
    pdf = make_pdf([["Kettles boil water quickly."]], title="Kettles")

    report = ingest_file(collection, pdf, filename="kettle.pdf", tokenizer=ApproxTokenizer())

    document = collection.get_document(report.document_id)
    assert (document.title, document.source, document.media_type) == (
        "Kettles", "kettle.pdf", "application/pdf")
    assert collection.search("boiling water", k=1)[0].text == "Kettles boil water quickly."
    with pytest.raises(DocumentRejected):
        ingest_file(collection, b"", filename="empty.txt")

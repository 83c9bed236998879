"""Plain text out of uploaded files: text, Markdown, HTML and PDF.

Anything we cannot turn into useful text is rejected up front with a ``DocumentRejected``
that says why (empty, too large, unsupported type, corrupt, encrypted, no text), so a bad
upload fails fast instead of producing an empty or garbage collection.

Small files can expand enormously: a 6 KB PDF whose ten pages share one 2 MB compressed
stream extracts to 20 MB of text. So extraction is bounded by ``ExtractLimits``: pages and
characters are counted while extracting (``too_many_pages``, ``too_much_text``), and PDF and
HTML, whose parsers can take very long on hostile input, run in a child process that is
killed at the deadline (``extraction_timeout``).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import PurePath

from app.workflows.knowledge.errors import InputError
from app.workflows.knowledge.formats import (  # noqa: F401
    _EXTENSIONS,
    HTML,
    MARKDOWN,
    PDF,
    PLAIN,
    SUPPORTED_EXTENSIONS,
    SUPPORTED_TYPES,
)
from workers.knowledge.engine.deadline import ChildFailed, DeadlineExceeded, call_with_deadline

DEFAULT_MAX_BYTES = 20 * 1024 * 1024

_TYPE_ALIASES = {"text/x-markdown": MARKDOWN, "application/xhtml+xml": HTML}


class DocumentRejected(InputError):
    """An uploaded file cannot be turned into text; ``reason`` is a short code."""

    def __init__(self, reason: str, message: str, field: str = "file") -> None:
        super().__init__(field, message, reason=reason)
        self.detail = message


@dataclass(frozen=True)
class ExtractedText:
    text: str
    media_type: str
    title: str | None = None
    pages: int | None = None


@dataclass(frozen=True)
class ExtractLimits:
    """How much one document may cost to extract (0 turns a limit off)."""

    max_chars: int = 2_000_000
    max_pages: int = 1_000
    seconds: float = 60.0


class _TooMuchText(Exception):
    """Raised from inside the PDF text visitor to stop extracting."""


def extract_text(
    data: bytes,
    filename: str | None = None,
    media_type: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    limits: ExtractLimits | None = None,
) -> ExtractedText:
    """Detect the file's type and return its readable text, within ``limits``.

    ``media_type`` (e.g. an upload's Content-Type) wins over the file name's extension,
    which wins over sniffing the bytes.
    """
    limits = limits or ExtractLimits()
    if not data:
        raise DocumentRejected("empty", "the file is empty")
    if len(data) > max_bytes:
        raise DocumentRejected(
            "too_large", f"the file has {len(data)} bytes; the limit is {max_bytes}"
        )
    kind = detect_media_type(data, filename, media_type)
    if kind in (PDF, HTML):
        result = _isolated(kind, data, limits)
    elif kind == MARKDOWN:
        result = _extract_markdown(_decode(data))
    else:
        result = ExtractedText(normalise_whitespace(_decode(data)), PLAIN)
    if limits.max_chars and len(result.text) > limits.max_chars:
        raise _too_much_text(limits.max_chars)
    if not result.text.strip():
        raise DocumentRejected("no_text", f"no readable text found in this {kind} file")
    return result


def _isolated(kind: str, data: bytes, limits: ExtractLimits) -> ExtractedText:
    """PDF or HTML extraction in a child process killed after ``limits.seconds``."""
    import pypdf  # noqa: F401 - imported before the fork, so the child imports nothing

    def work() -> dict:
        try:
            result = (_extract_pdf(data, limits) if kind == PDF
                      else _extract_html(_decode(data)))
        except DocumentRejected as error:
            return {"rejected": [error.reason, error.detail]}
        return {"text": result.text, "media_type": result.media_type, "title": result.title,
                "pages": result.pages}
    try:
        answer = (call_with_deadline(work, limits.seconds) if limits.seconds else work())
    except DeadlineExceeded:
        raise DocumentRejected("extraction_timeout", f"extracting the text took longer than "
                               f"{limits.seconds:g} s") from None
    except ChildFailed as error:
        raise DocumentRejected("corrupt", f"the {kind} file cannot be read: {error}") from None
    if "rejected" in answer:
        reason, detail = answer["rejected"]
        raise DocumentRejected(reason, detail)
    return ExtractedText(**answer)


def _too_much_text(limit: int) -> DocumentRejected:
    return DocumentRejected("too_much_text", f"the document has more than {limit} characters "
                            "of text")


def detect_media_type(data: bytes, filename: str | None, media_type: str | None) -> str:
    """One of ``SUPPORTED_TYPES``, or ``DocumentRejected('unsupported_type')``."""
    declared = (media_type or "").split(";")[0].strip().lower()
    declared = _TYPE_ALIASES.get(declared, declared)
    if declared and declared not in ("application/octet-stream", "binary/octet-stream"):
        if declared in SUPPORTED_TYPES:
            return declared
        raise DocumentRejected("unsupported_type", f"unsupported media type {declared!r}; "
                               f"supported: {', '.join(SUPPORTED_TYPES)}")
    if filename:
        suffix = PurePath(filename).suffix.lower()
        if suffix in _EXTENSIONS:
            return _EXTENSIONS[suffix]
        if suffix:
            raise DocumentRejected("unsupported_type", f"unsupported file type {suffix!r}; "
                                   f"supported: {', '.join(sorted(_EXTENSIONS))}")
    return _sniff(data)


def _sniff(data: bytes) -> str:
    head = data[:1024]
    if head.startswith(b"%PDF-"):
        return PDF
    if b"\x00" in data[:8192]:
        raise DocumentRejected("unsupported_type", "binary content of an unsupported type")
    lowered = head.lstrip().lower()
    if lowered.startswith((b"<!doctype html", b"<html")):
        return HTML
    return PLAIN


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if b"\x00" in data[:8192]:
        raise DocumentRejected("corrupt", "text file contains binary (NUL) bytes")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Legacy single-byte files: latin-1 maps every byte, so nothing is lost.
        return data.decode("latin-1")


def normalise_whitespace(text: str) -> str:
    """Unix newlines, no trailing spaces, runs of spaces and of blank lines collapsed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [re.sub(r"[ \t\f\v\u00a0]+", " ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


class _HTMLText(HTMLParser):
    """Collects visible text; block-level tags become line breaks."""

    _SKIP = {"script", "style", "noscript", "template", "svg", "head"}
    _BLOCK = {
        "p", "div", "section", "article", "header", "footer", "main", "nav", "aside", "li",
        "ul", "ol", "table", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote",
        "br", "hr", "dd", "dt", "figcaption", "title",
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title_parts: list[str] = []
        self._skipping: list[str] = []
        self._in_title = False
        self._in_pre = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "title":
            self._in_title = True
        elif tag == "pre":
            self._in_pre = True
        elif tag in self._SKIP:
            self._skipping.append(tag)
        if tag in self._BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag == "pre":
            self._in_pre = False
        elif self._skipping and self._skipping[-1] == tag:
            self._skipping.pop()
        if tag in self._BLOCK:
            self.parts.append("\n")
        if tag in ("td", "th"):
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title_parts.append(data)
        elif not self._skipping:
            # Source line breaks are just spaces in HTML, except inside <pre>.
            self.parts.append(data if self._in_pre else re.sub(r"\s+", " ", data))


def _extract_html(source: str) -> ExtractedText:
    parser = _HTMLText()
    parser.feed(source)
    parser.close()
    title = normalise_whitespace("".join(parser.title_parts)) or None
    text = normalise_whitespace("".join(parser.parts))
    return ExtractedText(text, HTML, title=title)


# Every pattern is linear in the length of the text: a scan that starts at a delimiter stops
# at the next one of its kind (or the end of the line), never at the end of the text. With
# ".+?" a line of "**a " repeated was quadratic: 32 KB took 6 s, and a whole upload hours.
_MD_RULES = [
    (re.compile(r"^```[^\n]*$|^~~~[^\n]*$", re.M), ""),           # code fence markers
    (re.compile(r"!\[([^\[\]\n]*)\]\([^()\n]*\)"), r"\1"),         # images -> alt text
    (re.compile(r"\[([^\[\]\n]+)\]\([^()\n]*\)"), r"\1"),          # links -> link text
    (re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+([^\n]*)$", re.M),
     lambda match: _without_closing_hashes(match.group(1))),      # headings
    (re.compile(r"^[ \t]{0,3}>[ \t]?", re.M), ""),                 # block quotes
    (re.compile(r"^[ \t]{0,3}([-*_])([ \t]*\1){2,}[ \t]*$", re.M), ""),  # rules
    (re.compile(r"(\*\*|__)(?=\S)((?:(?!\1)[^\n])+?)(?<=\S)\1"), r"\2"),  # bold
    (re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])"), r"\1"),  # italic *x*
    (re.compile(r"(?<!\w)_(?=\S)((?:[^_\n]|(?<=\w)_(?=\w))+?)(?<=\S)_(?!\w)"),
     r"\1"),                                                       # italic _x_
    (re.compile(r"`([^`]+)`"), r"\1"),                             # inline code
    (re.compile(r"<[^<>\n]+>"), ""),                               # inline HTML tags
]
_MD_TITLE = re.compile(r"^[ \t]{0,3}#[ \t]+([^\n]+)$", re.M)


def _without_closing_hashes(heading: str) -> str:
    """A heading's text without its optional closing sequence ("Title ##" -> "Title")."""
    text = heading.rstrip(" \t")
    bare = text.rstrip("#")
    if bare != text and (not bare or bare[-1] in " \t"):
        text = bare.rstrip(" \t")
    return text


def _extract_markdown(source: str) -> ExtractedText:
    heading = _MD_TITLE.search(source)
    text = source
    for pattern, replacement in _MD_RULES:
        text = pattern.sub(replacement, text)
    title = (_without_closing_hashes(heading.group(1)) or None) if heading else None
    return ExtractedText(normalise_whitespace(text), MARKDOWN, title=title)


def _extract_pdf(data: bytes, limits: ExtractLimits) -> ExtractedText:
    import pypdf
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    if not data.lstrip()[:5] == b"%PDF-":
        raise DocumentRejected("corrupt", "not a PDF file (missing %PDF header)")
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentRejected("encrypted", "the PDF is password-protected")
        if limits.max_pages and len(reader.pages) > limits.max_pages:
            raise DocumentRejected("too_many_pages", f"the PDF has {len(reader.pages)} pages; "
                                   f"the limit is {limits.max_pages}")
        pages = _pdf_pages(reader, limits.max_chars)
        title = (reader.metadata.title if reader.metadata else None) or None
    except DocumentRejected:
        raise
    except _TooMuchText:
        raise _too_much_text(limits.max_chars) from None
    except FileNotDecryptedError as error:
        raise DocumentRejected("encrypted", f"the PDF is encrypted: {error}") from error
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            OSError, RecursionError) as error:
        raise DocumentRejected("corrupt", f"the PDF cannot be read: {error}") from error
    text = normalise_whitespace("\n\n".join(pages))
    return ExtractedText(text, PDF, title=str(title) if title else None, pages=len(pages))


def _pdf_pages(reader, max_chars: int) -> list[str]:
    """Each page's text; stops (``_TooMuchText``) as soon as more than ``max_chars``
    characters were drawn, instead of extracting every page first."""
    drawn = [0]

    def count(text: str, *_: object) -> None:
        drawn[0] += len(text)
        if max_chars and drawn[0] > max_chars:
            raise _TooMuchText

    return [page.extract_text(visitor_text=count) or "" for page in reader.pages]

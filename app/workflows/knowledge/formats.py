"""The document types the knowledge base ingests, by media type and file extension."""

PLAIN, MARKDOWN, HTML, PDF = "text/plain", "text/markdown", "text/html", "application/pdf"
SUPPORTED_TYPES = (PLAIN, MARKDOWN, HTML, PDF)
_EXTENSIONS = {
    ".txt": PLAIN, ".text": PLAIN, ".log": PLAIN, ".csv": PLAIN,
    ".md": MARKDOWN, ".markdown": MARKDOWN,
    ".html": HTML, ".htm": HTML, ".xhtml": HTML,
    ".pdf": PDF,
}
SUPPORTED_EXTENSIONS = tuple(sorted(_EXTENSIONS))

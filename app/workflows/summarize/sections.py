"""How a long text is cut into sections summarised in parallel (the canvas fans out one step
per section, and the engine cuts a knowledge-base document the same way)."""

from __future__ import annotations

import re

SECTION_CHARS = 8000


def sections(text: str, size: int = SECTION_CHARS) -> list[str]:
    """Paragraph-aligned pieces of at most about ``size`` characters."""
    pieces, current = [], ""
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        while len(paragraph) > size:  # one huge paragraph: cut at a sentence end
            cut = paragraph.rfind(". ", 0, size) + 1 or size
            pieces.append((current + "\n\n" + paragraph[:cut]).strip())
            current, paragraph = "", paragraph[cut:].strip()
        if current and len(current) + len(paragraph) > size:
            pieces.append(current.strip())
            current = ""
        current += "\n\n" + paragraph
    if current.strip():
        pieces.append(current.strip())
    return pieces or [text]

"""The word view of a text that the keyword features and labels share.

Crawled news and web text carries HTML-entity residue (``#39;`` for an apostrophe, ``#36;``
for a dollar sign, ``quot;``) and backslashes where line breaks were; left in, they become
the "keywords" of whichever topic has most of them."""

from __future__ import annotations

import html
import re

_NUMERIC_RESIDUE = re.compile(r"&?#(\d{2,5});")
_NAMED_RESIDUE = re.compile(r"(?<![&\w])(quot|amp|lt|gt|nbsp);")


def clean(text: str) -> str:
    text = _NUMERIC_RESIDUE.sub(lambda m: chr(int(m.group(1))), text)
    text = _NAMED_RESIDUE.sub(lambda m: f"&{m.group(1)};", text)
    return html.unescape(text).replace("\\", " ")

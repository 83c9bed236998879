"""Token estimates for budgeting and for backends that report no usage.

Roughly four characters per token for English text, plus a small per-message overhead:
the same rule of thumb OpenAI documents. Good enough for rate-limit reservations.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from workers.llm.messages import LLMRequest, Message
from workers.llm.prompting import provider_messages

CHARS_PER_TOKEN = 4
MESSAGE_OVERHEAD_TOKENS = 4


def estimate_text_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def estimate_message_tokens(messages: Iterable[Message]) -> int:
    return sum(estimate_text_tokens(m.content) + MESSAGE_OVERHEAD_TOKENS for m in messages)


def estimate_request_tokens(request: LLMRequest) -> int:
    """Input tokens of ``request`` as an LLM backend would send it (evidence and schema too)."""
    return sum(
        estimate_text_tokens(m["content"]) + MESSAGE_OVERHEAD_TOKENS
        for m in provider_messages(request)
    )

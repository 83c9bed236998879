"""The no-model backend: extractive, deterministic and offline.

Chat replies are an extractive summary of the evidence passages (or, without evidence, of
the last user message), focused on the user's messages. Structured replies fill the
requested JSON schema from the evidence (see :mod:`..extractive.schema_filler`). Token
counts are estimates; the reply is marked ``method = "extractive"``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from workers.llm.backends.base import BackendReply, StreamPiece
from workers.llm.errors import LLMPermanentError
from workers.llm.extractive import EvidencePool, fill_schema
from workers.llm.messages import Evidence, LLMRequest
from workers.llm.tokens import estimate_message_tokens, estimate_text_tokens

LOCAL_MODEL = "extractive-v1"
CHAT_SUMMARY_SENTENCES = 5
# Evidence id used when a request brings no evidence and its last user message is the text.
MESSAGE_EVIDENCE_ID = "message"


class LocalBackend:
    name = "local"
    method = "extractive"
    remote = False

    def __init__(self, *, max_items: int = 5, summary_sentences: int = CHAT_SUMMARY_SENTENCES):
        self._max_items = max_items
        self._summary_sentences = summary_sentences

    def __repr__(self) -> str:
        return "LocalBackend()"

    def generate(self, request: LLMRequest) -> BackendReply:
        pool = EvidencePool(
            self._evidence(request), focus=self._focus(request), question=self._question(request)
        )
        if request.json_schema is not None:
            try:
                data = fill_schema(request.json_schema, pool, self._max_items)
            except (ValueError, KeyError) as exc:
                raise LLMPermanentError(
                    f"the extractive backend cannot fill this schema: {exc}", backend=self.name
                ) from exc
            text = json.dumps(data)
        else:
            text = pool.summary(self._summary_sentences)
        evidence_tokens = sum(estimate_text_tokens(e.text) for e in request.evidence)
        return BackendReply(
            text=text,
            input_tokens=estimate_message_tokens(request.messages) + evidence_tokens,
            output_tokens=estimate_text_tokens(text),
            tokens_estimated=True,
        )

    def stream(self, request: LLMRequest) -> Iterator[StreamPiece]:
        reply = self.generate(request)
        yield StreamPiece(reply.text)
        yield StreamPiece("", final=reply)

    def close(self) -> None:
        """Nothing to release."""

    @staticmethod
    def _evidence(request: LLMRequest) -> tuple[Evidence, ...]:
        if request.evidence:
            return request.evidence
        users = [m for m in request.messages if m.role == "user" and m.content.strip()]
        return (Evidence(MESSAGE_EVIDENCE_ID, users[-1].content),) if users else ()

    @staticmethod
    def _question(request: LLMRequest) -> str:
        """The first user message up to its first blank line: agents put the question there
        and the material they were given (other agents' analyses) after it."""
        users = [m.content for m in request.messages if m.role == "user"]
        return users[0].split("\n\n", 1)[0] if users else ""

    @staticmethod
    def _focus(request: LLMRequest) -> str:
        if not request.evidence:
            return ""
        return " ".join(m.content for m in request.messages if m.role == "user")

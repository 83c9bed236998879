"""Fitting a request into a model's context window: evidence trimmed by token budget, and
the output allowance sized to what is left.

Small local models have windows of a few thousand tokens, which a strategic analysis's
evidence, the analysts' notes and a restated schema overflow; servers then refuse the request
(llama.cpp: "Requested tokens exceed context window") or cut the reply mid-JSON. The
passages come ranked best first, so the last ones go first, whole (a cut passage could lose
the sentence a citation needs).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from workers.llm.errors import LLMPermanentError
from workers.llm.messages import LLMRequest
from workers.llm.tokens import estimate_request_tokens

# The estimate is ~4 characters a token; small models' tokenizers split JSON and names finer.
SAFETY = 0.9
# Output room kept when trimming evidence, unless the request asks for less.
MIN_OUTPUT_TOKENS = 512


@dataclass(frozen=True)
class Fitted:
    request: LLMRequest
    max_output_tokens: int
    dropped_evidence: int


def fit_request(request: LLMRequest, window: int) -> Fitted:
    """``request`` with as much of its evidence as fits ``window`` next to its output room,
    and the output allowance that is left (the request's own when it is smaller).

    Raises :class:`LLMPermanentError` when the messages alone leave no room for a reply.
    """
    usable = int(window * SAFETY)
    wanted = request.max_output_tokens or usable
    keep_for_output = min(wanted, MIN_OUTPUT_TOKENS, usable // 2)
    evidence = list(request.evidence)
    fitted = request
    while evidence and estimate_request_tokens(fitted) + keep_for_output > usable:
        evidence.pop()
        fitted = replace(request, evidence=tuple(evidence))
    used = estimate_request_tokens(fitted)
    room = usable - used
    if room < min(wanted, 64):
        raise LLMPermanentError(
            f"the prompt (about {used} tokens) does not fit the model's context window of "
            f"{window} tokens; shorten the question or give fewer texts per call")
    return Fitted(fitted, min(wanted, room), len(request.evidence) - len(evidence))

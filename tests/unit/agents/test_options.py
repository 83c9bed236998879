"""RequestOptions: the one set of per-call settings chat, structured and stream_chat share."""

from __future__ import annotations

import pytest

from tests.unit.agents.conftest import EVIDENCE, MESSAGES, PERSPECTIVE_SCHEMA, Provider
from workers.llm import (
    LOCAL_MODEL,
    LLMClient,
    LLMPermanentError,
    LocalBackend,
    RequestOptions,
)


def test_options_are_reusable_even_when_built_from_a_generator() -> None:
    client = LLMClient(LocalBackend(), default_model=LOCAL_MODEL)
    options = RequestOptions(evidence=(passage for passage in EVIDENCE))

    first = client.structured(MESSAGES, PERSPECTIVE_SCHEMA, options).data
    again = client.structured(MESSAGES, PERSPECTIVE_SCHEMA, options).data

    assert first == again and first["findings"]
    assert "".join(client.stream_chat(MESSAGES, options)) == client.chat(MESSAGES, options).text


def test_bad_evidence_is_refused_where_the_options_are_built() -> None:
    with pytest.raises(LLMPermanentError, match="duplicate evidence id"):
        RequestOptions(evidence=[EVIDENCE[0], EVIDENCE[0]])


def test_every_option_reaches_the_provider(provider: Provider) -> None:
    options = RequestOptions(
        role="critic",
        temperature=0.25,
        max_output_tokens=64,
        seed=7,
        provider_options={"top_k": 5},
    )
    provider.client(role_models={"critic": "critic-model"}).chat(MESSAGES, options)

    sent = provider.server.requests[0].json
    assert sent["model"] == "critic-model"
    if provider.name == "ollama":
        assert sent["options"] == {"top_k": 5, "temperature": 0.25, "seed": 7, "num_predict": 64}
    else:
        assert (sent["temperature"], sent["seed"], sent["top_k"]) == (0.25, 7, 5)

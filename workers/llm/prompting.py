"""How LLM backends see evidence and schemas: as prompt text, identical for all providers.

Evidence goes in as ``[id] text`` lines so the model can cite ids; structured requests also
restate the schema, which helps models that only loosely follow the provider-side
``format``/``response_format`` constraint. Both go into one user message after the caller's
messages, and a repair turn (if any) comes last.
"""

from __future__ import annotations

import json

from workers.llm.messages import Evidence, LLMRequest


def render_evidence(evidence: tuple[Evidence, ...]) -> str:
    lines = ["Evidence passages (cite them by the id in square brackets):"]
    lines += [f"[{passage.id}] {passage.text}" for passage in evidence]
    return "\n".join(lines)


def schema_instruction(request: LLMRequest, outline: bool = False) -> str:
    """The schema restated, or (``outline``) only its top-level fields: a server that
    enforces the schema with a grammar needs no more, and small models copy schema text
    (``"maxLength"``, ``"type: string"``) into their answers when they see it."""
    if outline:
        fields = ", ".join((request.json_schema or {}).get("properties", {}))
        return f"Reply with only a JSON object ({request.schema_name}) with the fields: {fields}."
    schema = json.dumps(request.json_schema, sort_keys=True)
    return (
        f"Reply with only a JSON object ({request.schema_name}) that conforms to this "
        f"JSON schema:\n{schema}"
    )


def provider_messages(request: LLMRequest, outline_schema: bool = False) -> list[dict[str, str]]:
    """The message list to send upstream for ``request`` (``outline_schema``: see
    :func:`schema_instruction`)."""
    messages = [m.to_dict() for m in request.messages]
    context = []
    if request.evidence:
        context.append(render_evidence(request.evidence))
    if request.json_schema is not None:
        context.append(schema_instruction(request, outline_schema))
    if context:
        messages.append({"role": "user", "content": "\n\n".join(context)})
    messages += [m.to_dict() for m in request.repair]
    return messages

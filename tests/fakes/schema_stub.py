"""The smallest JSON value that satisfies a schema: the fakes' default structured reply."""

from __future__ import annotations

from typing import Any


def minimal_instance(schema: dict[str, Any], root: dict[str, Any] | None = None) -> Any:
    root = root if root is not None else schema
    if "$ref" in schema:
        node: Any = root
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        return minimal_instance({**node, **{k: v for k, v in schema.items() if k != "$ref"}}, root)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return minimal_instance(schema[key][0], root)
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            merged.update(part)
        return minimal_instance(merged, root)
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        properties = schema.get("properties", {})
        return {
            name: minimal_instance(properties[name], root)
            for name in schema.get("required", list(properties))
            if name in properties
        }
    if kind == "array":
        return [minimal_instance(schema.get("items", {}), root)] * schema.get("minItems", 0)
    if kind in ("number", "integer"):
        return schema.get("minimum", 0)
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    return "x" * max(1, schema.get("minLength", 1))

"""A submit form generated from a workflow's params JSON schema (``GET /api/v1/workflows``).

The dashboard knows no workflow by name: each property of the schema becomes a widget chosen
from its JSON-schema type, so a workflow added to the registry gets a form without any UI
change. ``$ref``s are followed into the schema's ``components``; a nested object's properties
become fields of their own (``params.s0``); a ``oneOf`` with a ``discriminator`` (Monte Carlo's
``model``) becomes a choice of shape drawn before the form, whose fields then follow that shape.
Turning widget values back into params is a pure function (``collect``) so it is tested
without a browser; values left empty are omitted and the server applies its defaults.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

import streamlit as st

CONTENT_KEYS = ("content", "content_base64", "data", "text", "body")
NAME_KEYS = ("filename", "name", "title")
TYPE_KEYS = ("media_type", "content_type", "mime_type")
UNSET = "(default)"
HINTS = {"string_list": "one per line", "number_list": "numbers, separated by commas",
         "value_list": "one per line", "json_list": "a JSON array", "object": "a JSON object",
         "json": "JSON"}
LIST_KINDS = ("string_list", "number_list", "value_list", "json_list")
JS_SAFE_INTEGER = 2**53


@dataclass(frozen=True)
class Variants:
    """A ``oneOf`` told apart by ``property``: each shape (an object schema) by its value."""

    property: str
    shapes: dict[str, dict]


@dataclass(frozen=True)
class Field:
    name: str
    kind: str
    schema: dict
    required: bool

    def label(self, hint: str | None = None) -> str:
        """``name (required, hint)``: plain text, since Streamlit reads labels as Markdown."""
        notes = [n for n in ("required" if self.required else None, hint) if n]
        return self.name + (f" ({', '.join(notes)})" if notes else "")

    @property
    def help(self) -> str | None:
        return self.schema.get("description")

    @property
    def default(self) -> Any:
        return self.schema.get("default")


def _type(prop: dict) -> str | None:
    kind = prop.get("type")
    if isinstance(kind, list):  # ["string", "null"]
        kind = next((k for k in kind if k != "null"), None)
    return kind


def is_document_array(prop: dict) -> bool:
    """An array whose items are uploaded documents: objects with a content-like field, or
    binary/base64 strings."""
    items = prop.get("items") or {}
    if _type(items) == "string":
        return items.get("format") in ("binary", "byte") or "contentEncoding" in items
    props = items.get("properties") or {}
    return (_type(items) == "object" or bool(props)) and any(k in props for k in CONTENT_KEYS)


def kind_of(prop: dict) -> str:
    kind = _type(prop)
    if "enum" in prop:
        return "choice"
    if kind == "array":
        if is_document_array(prop):
            return "documents"
        item = _type(prop.get("items") or {})
        if item in ("object", "array"):
            return "json_list"
        return {"string": "string_list", "number": "number_list",
                "integer": "number_list"}.get(item or "", "value_list")
    if kind == "string":
        return "long_text" if prop.get("maxLength", 0) > 500 else "text"
    if kind in ("integer", "number", "object"):
        return kind
    if kind == "boolean":
        return "tristate" if prop.get("nullable") or prop.get("default", False) is None \
            else "boolean"
    return "json"


def resolved(node: dict, root: dict) -> dict:
    """``node`` with what it refers to filled in: a ``$ref`` into ``root``'s components, the
    ``allOf`` of one reference and the ``anyOf`` [reference, null] that describe a nested
    schema (the latter made ``nullable``)."""
    if "$ref" in node:
        target: Any = root
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target.get(part, {})
        rest = {k: v for k, v in node.items() if k != "$ref"}
        return resolved({**target, **rest}, root)
    for key in ("allOf", "anyOf"):
        options = [o for o in node.get(key) or [] if not o.get("nullable")]
        if len(options) == 1 and (key == "allOf" or len(node[key]) == 2):
            rest = {k: v for k, v in node.items() if k != key}
            nullable = {"nullable": True} if key == "anyOf" else {}
            return {**resolved(options[0], root), **rest, **nullable}
    return node


def variants_of(schema: dict, root: dict | None = None) -> Variants | None:
    """The shapes of a ``oneOf`` with a discriminator, or None for a plain object."""
    discriminator = (schema.get("discriminator") or {}).get("propertyName")
    if not discriminator or "oneOf" not in schema:
        return None
    shapes = [resolved(option, root or schema) for option in schema["oneOf"]]
    return Variants(discriminator, {
        shape["properties"][discriminator]["enum"][0]: shape for shape in shapes})


def _nested(prop: dict) -> bool:
    """An object with properties of its own (not documents, not a free mapping)."""
    return _type(prop) in ("object", None) and bool(prop.get("properties"))


def fields_of(schema: dict, root: dict | None = None, skip: tuple[str, ...] = (),
              prefix: str = "", required_here: bool = True) -> list[Field]:
    """One field per property (a nested object's properties each a field named
    ``outer.inner``), required ones first (in schema order otherwise); ``skip`` names
    properties left out (a discriminator chosen before the form)."""
    root = root or schema
    required = set(schema.get("required") or [])
    out: list[Field] = []
    for name, prop in (schema.get("properties") or {}).items():
        if name in skip:
            continue
        prop = resolved(prop, root)
        if "items" in prop:
            prop = {**prop, "items": resolved(prop["items"], root)}
        must = required_here and name in required
        if _nested(prop):
            out += fields_of(prop, root, prefix=f"{prefix}{name}.", required_here=must)
        else:
            out.append(Field(prefix + name, kind_of(prop), prop, must))
    return sorted(out, key=lambda f: not f.required)


# ---- widget values → params ---------------------------------------------------------------
class FieldError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


def _scalar(text: str) -> Any:
    for parse in (int, float):
        try:
            return parse(text)
        except ValueError:
            pass
    return text


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def list_from_upload(name: str, data: bytes) -> list:
    """Items of an uploaded list: a JSON array, or one item per non-empty line."""
    text = data.decode("utf-8", errors="replace")
    if name.lower().endswith(".json"):
        value = json.loads(text)
        if not isinstance(value, list):
            raise ValueError("the JSON file must hold an array")
        return value
    return _lines(text)


def document_item(field: Field, name: str, media_type: str | None, data: bytes) -> Any:
    """One uploaded file in the shape the schema's items ask for."""
    items = field.schema.get("items") or {}
    if _type(items) == "string":
        return base64.b64encode(data).decode()
    props = items.get("properties") or {}
    content_key = next(k for k in CONTENT_KEYS if k in props)
    spec = props[content_key]
    binary = (content_key.endswith("base64") or spec.get("contentEncoding") == "base64"
              or spec.get("format") in ("byte", "binary"))
    item: dict[str, Any] = {content_key: base64.b64encode(data).decode() if binary
                            else data.decode("utf-8", errors="replace")}
    name_key = next((k for k in NAME_KEYS if k in props), None)
    type_key = next((k for k in TYPE_KEYS if k in props), None)
    if name_key:
        item[name_key] = name
    if type_key and media_type:
        item[type_key] = media_type
    return item


def _parse(field: Field, raw: Any, uploads: list | None) -> Any:
    """The param value of one field, or None when it is left empty."""
    kind = field.kind
    if kind == "choice":
        return None if raw in (None, UNSET) else raw
    if kind == "tristate":
        return None if raw in (None, UNSET) else raw == "yes"
    if kind in ("boolean", "integer", "number"):
        if kind == "integer" and raw is not None:
            return int(raw)
        return raw
    if kind in ("text", "long_text"):
        return raw if raw else None
    if kind == "documents":
        return [document_item(field, *u) for u in uploads] if uploads else None
    if kind in LIST_KINDS:
        values: list = []
        for name, _, data in uploads or []:
            values += list_from_upload(name, data)
        if kind == "json_list":
            typed = _parse(Field(field.name, "json", field.schema, False), raw, None)
            if typed is not None and not isinstance(typed, list):
                raise FieldError(field.name, "must be a JSON array")
            values += typed or []
        elif kind == "number_list":
            values = [_number(field, v) if isinstance(v, str) else v for v in values]
            values += [_number(field, t) for t in (raw or "").replace(",", " ").split()]
        else:
            values += _lines(raw) if kind == "string_list" else [_scalar(t) for t in _lines(raw)]
        return values or None
    text = (raw or "").strip()
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise FieldError(field.name, f"not valid JSON ({exc.msg})") from None
    if kind == "object" and not isinstance(value, dict):
        raise FieldError(field.name, "must be a JSON object")
    return value


def _number(field: Field, text: str) -> float | int:
    value = _scalar(text)
    if isinstance(value, str):
        raise FieldError(field.name, f"{text!r} is not a number")
    return value


def collect(fields: list[Field], raw: dict[str, Any],
            uploads: dict[str, list] | None = None) -> dict[str, Any]:
    """Params from widget values (and uploads as (name, media type, bytes) per field).

    Raises FieldError for a value that cannot be read or a required field left empty."""
    params: dict[str, Any] = {}
    for field in fields:
        value = _parse(field, raw.get(field.name), (uploads or {}).get(field.name))
        if value is None:
            if field.required:
                raise FieldError(field.name, "required")
            continue
        *outer, name = field.name.split(".")
        target = params
        for part in outer:
            target = target.setdefault(part, {})
        target[name] = value
    return params


# ---- rendering ------------------------------------------------------------------------------
def _widget(field: Field, key: str) -> Any:
    s, help_, kind = field.schema, field.help, field.kind
    label = field.label(HINTS.get(kind))
    if kind == "choice":
        options = list(s["enum"]) if field.required or field.default is not None \
            else [UNSET, *s["enum"]]
        index = options.index(field.default) if field.default in options else 0
        return st.selectbox(label, options, index=index, help=help_, key=key)
    if kind == "tristate":
        return st.selectbox(label, [UNSET, "yes", "no"], help=help_, key=key)
    if kind == "boolean":
        return st.checkbox(label, value=bool(field.default), help=help_, key=key)
    if kind in ("integer", "number"):
        integer = kind == "integer"
        cast = int if integer else float
        # The browser holds numbers as doubles: a bound beyond 2**53 (a 63-bit seed's) is
        # left to the server.
        bounds = {name: cast(s[bound]) for name, bound in (("min_value", "minimum"),
                                                            ("max_value", "maximum"))
                  if bound in s and abs(s[bound]) < JS_SAFE_INTEGER}
        default = cast(field.default) if field.default is not None else None
        return st.number_input(label, value=default, step=1 if integer else None,
                               help=help_, key=key, placeholder="(default)"
                               if not field.required else "required", **bounds)
    if kind == "text":
        return st.text_input(label, value=field.default or "", help=help_, key=key)
    if kind == "documents":
        return None
    default = _text(kind, field.default)
    return st.text_area(label, value=default, help=help_, key=key,
                        height=120 if kind in ("string_list", "json_list", "long_text") else 80)


def _text(kind: str, default: Any) -> str:
    """A default value as the text its widget reads back (``HINTS``)."""
    if default is None:
        return ""
    if isinstance(default, list) and kind == "number_list":
        return ", ".join(str(v) for v in default)
    if isinstance(default, list) and kind in ("string_list", "value_list"):
        return "\n".join(str(v) for v in default)
    return default if isinstance(default, str) else json.dumps(default)


def choose_variant(schema: dict, key: str) -> tuple[list[Field], dict[str, Any], str]:
    """The form of a params schema: its fields, the params fixed before the form (the
    shape chosen, for a ``oneOf`` with a discriminator) and a key prefix for the shape's
    widgets. The choice is drawn here, outside the form, so the fields follow it at once."""
    variants = variants_of(schema)
    if variants is None:
        return fields_of(schema), {}, key
    value = st.selectbox(variants.property, list(variants.shapes), key=f"{key}:{variants.property}",
                         help="The shape of these params; the fields below follow it")
    shape = variants.shapes[value]
    return fields_of(shape, schema, skip=(variants.property,)), {variants.property: value}, \
        f"{key}:{value}"


def _upload(field: Field, key: str) -> list[tuple[str, str | None, bytes]]:
    """Uploaded files for list and document fields, as (name, media type, bytes)."""
    if field.kind == "documents":
        files = st.file_uploader(field.label("upload documents"), accept_multiple_files=True,
                                 help=field.help, key=key)
    elif field.kind == "json_list":
        files = st.file_uploader(f"…or upload {field.name} (.json array)", type=["json"],
                                 accept_multiple_files=True, key=key)
    elif field.kind in LIST_KINDS:
        files = st.file_uploader(f"…or upload {field.name} (.txt one per line, .json array)",
                                 type=["txt", "json"], accept_multiple_files=True, key=key)
    else:
        return []
    return [(f.name, f.type, f.getvalue()) for f in files or []]


def render(fields: list[Field], prefix: str) -> tuple[dict[str, Any], dict[str, list]]:
    """Draw the widgets (inside the caller's form); returns raw values and uploads."""
    raw: dict[str, Any] = {}
    uploads: dict[str, list] = {}
    for field in fields:
        raw[field.name] = _widget(field, f"{prefix}:{field.name}")
        uploads[field.name] = _upload(field, f"{prefix}:{field.name}:upload")
    return raw, uploads

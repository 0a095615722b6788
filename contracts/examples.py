"""Example payloads built from an event's JSON Schema, for the catalogue departments read.

Examples are derived, not hand-written, so they cannot drift from the schema: every example
validates against its model (a contract test checks this for every event type). The values are
deterministic — the same schema gives the same example on every run — so the generated
AsyncAPI documents stay byte-stable.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

Json = dict[str, Any]

_NAMESPACE = uuid.UUID("6f1b3c1e-5d7a-4a53-9a55-0c0e6e7e1a01")
_FORMATS: dict[str, Any] = {
    "date-time": "2026-11-23T09:30:00Z",
    "date": "2026-11-23",
    "time": "09:30:00",
    "email": "name@department.gov.uk",
    "uri": "https://convene.example/items/example",
    "uri-reference": "/convene/example",
    "hostname": "convene.example",
    "duration": "P7D",
}


def example_for(schema: Json) -> Any:
    """A value that satisfies `schema` (a JSON Schema with `$defs`), shaped like real data."""
    return _value(schema, schema.get("$defs", {}), "example")


def _value(node: Json, defs: Json, name: str) -> Any:
    if "$ref" in node:
        return _value(defs[node["$ref"].rsplit("/", 1)[-1]], defs, name)
    if node.get("examples"):
        return node["examples"][0]
    if "const" in node:
        return node["const"]
    if "default" in node and node["default"] is not None:
        return node["default"]
    if "enum" in node:
        return node["enum"][0]
    for combinator in ("anyOf", "oneOf", "allOf"):
        if combinator in node:
            choices = [c for c in node[combinator] if c.get("type") != "null"] or node[combinator]
            return _value(choices[0], defs, name)
    kind = node.get("type", "object" if "properties" in node else "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    return _BY_TYPE[kind](node, defs, name)


def _object(node: Json, defs: Json, name: str) -> Json:
    properties: Json = node.get("properties", {})
    if properties:
        return {key: _value(sub, defs, key) for key, sub in properties.items()}
    extra = node.get("additionalProperties")
    if isinstance(extra, dict):
        return {"key": _value(extra, defs, "key")}
    return {}


def _array(node: Json, defs: Json, name: str) -> list[Any]:
    items = node.get("items") or node.get("prefixItems") or {}
    if isinstance(items, list):
        return [_value(item, defs, name) for item in items]
    count = max(1, int(node.get("minItems", 1)))
    return [_value(items, defs, name) for _ in range(count)]


def _string(node: Json, defs: Json, name: str) -> str:
    fmt = node.get("format")
    if fmt == "uuid":
        return str(uuid.uuid5(_NAMESPACE, name))
    if fmt in _FORMATS:
        return str(_FORMATS[fmt])
    if "pattern" in node:
        return _matching(node["pattern"], name)
    text = name.replace("_", " ").capitalize()
    low, high = int(node.get("minLength", 0)), int(node.get("maxLength", 10_000))
    return (text + " " * low)[: max(low, min(len(text), high))]


def _matching(pattern: str, name: str) -> str:
    # The few patterns our contracts use; anything else would fail the validity test loudly.
    if pattern.startswith("^[0-9]"):
        return "1"
    return name


def _number(node: Json, defs: Json, name: str) -> int | float:
    low = float(node.get("minimum") or node.get("exclusiveMinimum") or 0)
    high = node.get("maximum", node.get("exclusiveMaximum"))
    value = max(low, 5) if high is None else (low + float(high)) / 2
    return int(value) if node.get("type") == "integer" else float(value)


def _boolean(node: Json, defs: Json, name: str) -> bool:
    return True


def _null(node: Json, defs: Json, name: str) -> None:
    return None


_BY_TYPE: dict[str, Callable[[Json, Json, str], Any]] = {
    "object": _object,
    "array": _array,
    "string": _string,
    "integer": _number,
    "number": _number,
    "boolean": _boolean,
    "null": _null,
}

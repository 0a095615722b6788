"""One valid example of every registered event, built from its JSON Schema.

New event types get an example for free. When the builder cannot satisfy a model (a `pattern`,
a cross-field validator), put a hand-written example in `HAND_WRITTEN` instead.
"""

from __future__ import annotations

from typing import Any

import pytest

from contracts.base import IntegrationEvent
from contracts.registry import REGISTRY

#: event_type -> data, for models the schema-driven builder cannot satisfy.
HAND_WRITTEN: dict[str, dict[str, Any]] = {}

STRING_BY_FORMAT = {
    "uuid": "6f1c2a43-9b8e-4d0c-a3a5-2f0e1d9c7b11",
    "email": "ada.lovelace@example.org",
    "date-time": "2025-03-04T05:06:07.123456Z",
    "date": "2025-03-04",
    "time": "05:06:07Z",
    "uri": "https://example.org/convene",
    "duration": "P1D",
}


def example_from_schema(node: dict[str, Any], root: dict[str, Any]) -> Any:
    """A value valid against `node`, preferring what the schema itself suggests."""
    while "$ref" in node:
        name = node["$ref"].removeprefix("#/$defs/")
        node = {**root["$defs"][name], **{k: v for k, v in node.items() if k != "$ref"}}
    for hint in ("examples", "enum"):
        if node.get(hint):
            return node[hint][0]
    if "const" in node:
        return node["const"]
    alternatives = node.get("anyOf") or node.get("oneOf")
    if alternatives:
        # The first non-null branch: an example should exercise the field, not skip it.
        chosen = next((alt for alt in alternatives if alt.get("type") != "null"), alternatives[0])
        return example_from_schema(chosen, root)
    kind = node.get("type", "object")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        return {
            name: example_from_schema(prop, root)
            for name, prop in node.get("properties", {}).items()
        }
    if kind == "array":
        return [example_from_schema(node.get("items", {}), root)] * max(node.get("minItems", 1), 1)
    if kind == "string":
        if "pattern" in node:
            raise NotImplementedError(f"cannot invent a string matching {node['pattern']!r}")
        length = min(max(5, node.get("minLength", 0)), node.get("maxLength", 5))
        return STRING_BY_FORMAT.get(node.get("format", ""), "x" * length)
    if kind in {"integer", "number"}:
        return node.get("minimum", 1)
    return {"boolean": True, "null": None}[kind]


@pytest.fixture(scope="session")
def example_events() -> dict[str, IntegrationEvent]:
    events: dict[str, IntegrationEvent] = {}
    for event_type, spec in REGISTRY.items():
        schema = spec.model.model_json_schema()
        data = HAND_WRITTEN.get(event_type) or example_from_schema(schema, schema)
        events[event_type] = spec.model.model_validate(data)
    return events

"""Find changes to an event's JSON Schema that would break its readers within one version.

Events outlive the code that wrote them: the outbox and the topics replay old events to new
consumers, and old consumers read events from new producers. So within a version a schema may
only grow: a property may be added if optional, a type or an enum may be widened. Everything
else (a removed property, a newly required one, a type or format that no longer accepts what
it did, an enum that lost a value) needs a new event version instead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

Schema = dict[str, Any]

#: JSON Schema type names; an unconstrained schema accepts all of them.
ALL_TYPES = frozenset({"array", "boolean", "integer", "null", "number", "object", "string"})


def breaking_changes(old: Schema, new: Schema) -> list[str]:
    """Every way `new` breaks readers of `old`, as sentences naming the field; [] if none.

    Both must be schemas of the same event version (as written by `model_json_schema()`):
    `$ref`s are resolved against each document's own `$defs`, and `anyOf`/`oneOf` branches are
    read as one union (so `X | None` is a nullable X). Messages start with the schema's `title`.
    """
    label = str(_resolve(old, old).get("title") or "schema")
    problems: list[str] = []
    _compare(_Side(old, old), _Side(new, new), "", problems, ancestors=frozenset())
    return [f"{label}: {problem}" for problem in problems]


@dataclass(frozen=True)
class _Side:
    """A subschema together with the document its `$ref`s point into."""

    node: Schema
    root: Schema

    def at(self, node: Schema) -> _Side:
        return _Side(node, self.root)


@dataclass
class _Shape:
    """What a (possibly union) schema accepts, flattened from its branches."""

    types: frozenset[str]
    enum: frozenset[str] | None = None  # JSON-encoded values; None means not enumerated
    formats: frozenset[str] = frozenset()
    properties: dict[str, Schema] = field(default_factory=dict)
    required: set[str] = field(default_factory=set)
    items: list[Schema] = field(default_factory=list)
    values: list[Schema] = field(default_factory=list)  # additionalProperties of a mapping


def _compare(
    old: _Side,
    new: _Side,
    path: str,
    problems: list[str],
    ancestors: frozenset[tuple[object, object]],
) -> None:
    # A recursive model reaches the same pair of definitions again; stop there.
    pair = (old.node.get("$ref", id(old.node)), new.node.get("$ref", id(new.node)))
    if pair in ancestors:
        return
    ancestors = ancestors | {pair}
    was, now = _shape(old), _shape(new)
    where = f"field '{path}'" if path else "the event"

    lost = {t for t in was.types - now.types if not (t == "integer" and "number" in now.types)}
    if lost:
        problems.append(f"{where} changed type from {_names(was.types)} to {_names(now.types)}")
    if now.enum is not None:
        if was.enum is None:
            problems.append(f"{where} is now restricted to {_names(now.enum)}")
        elif removed := was.enum - now.enum:
            problems.append(f"{where} no longer allows {_names(removed)}")
    if now.formats and (not was.formats or was.formats - now.formats):
        problems.append(
            f"{where} changed format from {_names(was.formats) or 'none'} to {_names(now.formats)}"
        )

    for name, schema in was.properties.items():
        field_path = f"{path}.{name}" if path else name
        if name not in now.properties:
            problems.append(f"field '{field_path}' was removed")
        else:
            _compare(old.at(schema), new.at(now.properties[name]), field_path, problems, ancestors)
    for name in sorted(now.required - was.required):
        field_path = f"{path}.{name}" if path else name
        added = "" if name in was.properties else " (added as a required field)"
        problems.append(f"field '{field_path}' is now required{added}")

    # Only a single schema on each side can be compared meaningfully; unions of several item
    # shapes are rare in our models and their type change is already reported above.
    if len(was.items) == 1 and len(now.items) == 1:
        _compare(old.at(was.items[0]), new.at(now.items[0]), f"{path}[]", problems, ancestors)
    if len(was.values) == 1 and len(now.values) == 1:
        _compare(old.at(was.values[0]), new.at(now.values[0]), f"{path}.*", problems, ancestors)


def _shape(side: _Side) -> _Shape:
    branches = _branches(side)
    shape = _Shape(types=frozenset())
    enumerated: set[str] = set()
    every_branch_enumerated = True
    types: set[str] = set()
    formats: set[str] = set()
    required_by_branch: list[set[str]] = []
    for branch in branches:
        branch_types = _types_of(branch)
        types |= branch_types
        if "enum" in branch or "const" in branch:
            allowed = branch["enum"] if "enum" in branch else [branch["const"]]
            enumerated |= {json.dumps(value, sort_keys=True) for value in allowed}
        elif branch_types != {"null"}:
            # `X | None` stays enumerated; nullability is a matter of type, not enum.
            every_branch_enumerated = False
        if "format" in branch:
            formats.add(str(branch["format"]))
        shape.properties.update(branch.get("properties", {}))
        if "object" in branch_types:
            required_by_branch.append(set(branch.get("required", [])))
        if isinstance(branch.get("items"), dict):
            shape.items.append(branch["items"])
        if isinstance(branch.get("additionalProperties"), dict):
            shape.values.append(branch["additionalProperties"])
    shape.types = frozenset(types)
    shape.formats = frozenset(formats)
    # A union of objects only guarantees what every one of them requires.
    shape.required = set.intersection(*required_by_branch) if required_by_branch else set()
    if enumerated and every_branch_enumerated:
        shape.enum = frozenset(enumerated)
    return shape


def _branches(side: _Side) -> list[Schema]:
    """The alternatives a schema allows, with `$ref`s and single-element `allOf`s resolved."""
    node = _resolve(side.node, side.root)
    alternatives = node.get("anyOf") or node.get("oneOf")
    if not alternatives:
        return [node]
    return [branch for alt in alternatives for branch in _branches(side.at(alt))]


def _resolve(node: Schema, root: Schema) -> Schema:
    seen: set[str] = set()
    while True:
        if "$ref" in node:
            ref = str(node["$ref"])
            if ref in seen:
                raise ValueError(f"$ref cycle through {ref!r}")
            seen.add(ref)
            siblings = {key: value for key, value in node.items() if key != "$ref"}
            node = {**_pointer(root, ref), **siblings}
        elif isinstance(node.get("allOf"), list) and len(node["allOf"]) == 1:
            siblings = {key: value for key, value in node.items() if key != "allOf"}
            node = {**node["allOf"][0], **siblings}
        else:
            return node


def _pointer(root: Schema, ref: str) -> Schema:
    if not ref.startswith("#"):
        raise ValueError(f"only local $refs are supported, got {ref!r}")
    target: Any = root
    for token in ref[1:].split("/")[1:]:
        target = target[token.replace("~1", "/").replace("~0", "~")]
    if not isinstance(target, dict):
        raise ValueError(f"$ref {ref!r} does not point at a schema")
    return target


def _types_of(branch: Schema) -> set[str]:
    declared = branch.get("type")
    if isinstance(declared, str):
        return {declared}
    if isinstance(declared, list):
        return {str(t) for t in declared}
    if "const" in branch or "enum" in branch:
        allowed = branch["enum"] if "enum" in branch else [branch["const"]]
        return {_json_type(value) for value in allowed}
    if "properties" in branch or "additionalProperties" in branch:
        return {"object"}
    if "items" in branch or "prefixItems" in branch:
        return {"array"}
    return set(ALL_TYPES)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _names(values: frozenset[str] | set[str]) -> str:
    if values == ALL_TYPES:
        return "any"
    return " | ".join(sorted(values))

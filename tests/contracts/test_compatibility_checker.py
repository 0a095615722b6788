"""The checker itself: each kind of breaking change is caught, and growth is allowed."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal
from uuid import UUID

import pytest
from pydantic import BaseModel, ConfigDict, create_model

from contracts.compatibility import breaking_changes
from contracts.generate import event_schema
from contracts.registry import REGISTRY

LABEL = "test.thing.happened.v1"


def schema_of(**fields: Any) -> dict[str, Any]:
    """The JSON Schema of an event model with these fields (pydantic `create_model` syntax)."""
    model = create_model("Thing", __config__=ConfigDict(title=LABEL), **fields)
    return model.model_json_schema()


def address(**fields: Any) -> type[BaseModel]:
    return create_model("Address", **fields)


class ColourBefore(StrEnum):
    RED = "red"
    GREEN = "green"
    BLUE = "blue"


class ColourAfter(StrEnum):
    RED = "red"
    GREEN = "green"


class ColourWidened(StrEnum):
    RED = "red"
    GREEN = "green"
    BLUE = "blue"
    AMBER = "amber"


class Tree(BaseModel):
    name: str
    children: list[Tree] = []


BASE = {"thing_id": (UUID, ...), "email": (str, ...), "count": (int, ...)}


def test_an_unchanged_schema_has_no_breaking_changes() -> None:
    assert breaking_changes(schema_of(**BASE), schema_of(**BASE)) == []


def test_adding_an_optional_field_is_allowed() -> None:
    assert breaking_changes(schema_of(**BASE), schema_of(**BASE, note=(str | None, None))) == []


def test_a_removed_field_is_breaking() -> None:
    without_email = {name: spec for name, spec in BASE.items() if name != "email"}
    assert breaking_changes(schema_of(**BASE), schema_of(**without_email)) == [
        f"{LABEL}: field 'email' was removed"
    ]


def test_a_field_that_becomes_required_is_breaking() -> None:
    old = schema_of(**BASE, note=(str | None, None))
    new = schema_of(**BASE, note=(str | None, ...))
    assert breaking_changes(old, new) == [f"{LABEL}: field 'note' is now required"]


def test_a_new_required_field_is_breaking() -> None:
    assert breaking_changes(schema_of(**BASE), schema_of(**BASE, region=(str, ...))) == [
        f"{LABEL}: field 'region' is now required (added as a required field)"
    ]


def test_a_changed_type_is_breaking() -> None:
    old = schema_of(**BASE)
    new = schema_of(**{**BASE, "count": (str, ...)})
    assert breaking_changes(old, new) == [
        f"{LABEL}: field 'count' changed type from integer to string"
    ]


def test_a_changed_type_in_a_nested_model_is_breaking() -> None:
    old = schema_of(home=(address(postcode=(str, ...), town=(str, ...)), ...))
    new = schema_of(home=(address(postcode=(int, ...), town=(str, ...)), ...))
    assert breaking_changes(old, new) == [
        f"{LABEL}: field 'home.postcode' changed type from string to integer"
    ]


def test_a_field_removed_from_a_nested_model_is_breaking() -> None:
    old = schema_of(home=(address(postcode=(str, ...), town=(str, ...)), ...))
    new = schema_of(home=(address(postcode=(str, ...)), ...))
    assert breaking_changes(old, new) == [f"{LABEL}: field 'home.town' was removed"]


def test_a_changed_type_inside_list_items_is_breaking() -> None:
    line_before = create_model("Line", qty=(int, ...))
    line_after = create_model("Line", qty=(str, ...))
    old = schema_of(lines=(list[line_before], ...))
    new = schema_of(lines=(list[line_after], ...))
    assert breaking_changes(old, new) == [
        f"{LABEL}: field 'lines[].qty' changed type from integer to string"
    ]


def test_a_changed_type_of_mapping_values_is_breaking() -> None:
    old = schema_of(scores=(dict[str, int], ...))
    new = schema_of(scores=(dict[str, str], ...))
    assert breaking_changes(old, new) == [
        f"{LABEL}: field 'scores.*' changed type from integer to string"
    ]


def test_narrowing_an_enum_is_breaking() -> None:
    old = schema_of(colour=(ColourBefore, ...))
    new = schema_of(colour=(ColourAfter, ...))
    assert breaking_changes(old, new) == [f"{LABEL}: field 'colour' no longer allows \"blue\""]


def test_narrowing_a_literal_is_breaking() -> None:
    old = schema_of(kind=(Literal["a", "b"], ...))
    new = schema_of(kind=(Literal["a"], ...))
    assert breaking_changes(old, new) == [f"{LABEL}: field 'kind' no longer allows \"b\""]


def test_restricting_free_text_to_an_enum_is_breaking() -> None:
    old = schema_of(colour=(str, ...))
    new = schema_of(colour=(ColourBefore, ...))
    assert len(breaking_changes(old, new)) == 1
    assert "field 'colour' is now restricted to" in breaking_changes(old, new)[0]


def test_widening_an_enum_is_allowed() -> None:
    old = schema_of(colour=(ColourBefore, ...))
    assert breaking_changes(old, schema_of(colour=(ColourWidened, ...))) == []


def test_widening_a_type_is_allowed() -> None:
    assert breaking_changes(schema_of(n=(int, ...)), schema_of(n=(float, ...))) == []
    assert breaking_changes(schema_of(n=(int, ...)), schema_of(n=(int | str, ...))) == []


def test_making_a_field_nullable_and_optional_is_allowed() -> None:
    assert breaking_changes(schema_of(n=(str, ...)), schema_of(n=(str | None, None))) == []


def test_making_a_nullable_field_non_nullable_is_breaking() -> None:
    old = schema_of(n=(str | None, None))
    new = schema_of(n=(str, None))
    assert breaking_changes(old, new) == [
        f"{LABEL}: field 'n' changed type from null | string to string"
    ]


def test_a_nullable_nested_model_is_compared_through_its_ref() -> None:
    old = schema_of(home=(address(postcode=(str, ...)) | None, None))
    new = schema_of(home=(address(postcode=(int, ...)) | None, None))
    assert breaking_changes(old, new) == [
        f"{LABEL}: field 'home.postcode' changed type from string to integer"
    ]


def test_adding_a_format_is_breaking_and_dropping_one_is_not() -> None:
    text, uuid = schema_of(ref=(str, ...)), schema_of(ref=(UUID, ...))
    assert breaking_changes(text, uuid) == [
        f"{LABEL}: field 'ref' changed format from none to uuid"
    ]
    assert breaking_changes(uuid, text) == []


def test_a_recursive_model_is_compared_without_looping() -> None:
    schema = Tree.model_json_schema()
    assert breaking_changes(schema, schema) == []
    leafless = Tree.model_json_schema()
    del leafless["$defs"]["Tree"]["properties"]["name"]
    assert breaking_changes(schema, leafless) == ["Tree: field 'name' was removed"]


@pytest.mark.parametrize("event_type", sorted(REGISTRY))
def test_removing_a_field_from_a_real_event_is_reported_by_name(event_type: str) -> None:
    current = event_schema(REGISTRY[event_type])
    field = sorted(current["properties"])[0]
    edited = {
        **current,
        "properties": {k: v for k, v in current["properties"].items() if k != field},
        "required": [name for name in current.get("required", []) if name != field],
    }
    assert breaking_changes(current, edited) == [f"{event_type}: field '{field}' was removed"]

"""The departments' AsyncAPI document: exactly the public events, each with a valid example."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from contracts.generate import asyncapi_path
from contracts.registry import REGISTRY
from tests.contracts.test_asyncapi_document import refs_in, resolve

PUBLIC_TYPES = sorted(t for t, spec in REGISTRY.items() if spec.public)


@pytest.fixture(scope="module")
def public_document() -> dict[str, Any]:
    loaded = yaml.safe_load(asyncapi_path(public=True).read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture(scope="module")
def full_document() -> dict[str, Any]:
    loaded = yaml.safe_load(asyncapi_path().read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_it_lists_every_public_event_and_nothing_internal(
    public_document: dict[str, Any],
) -> None:
    offered = {
        name for channel in public_document["channels"].values() for name in channel["messages"]
    }
    assert PUBLIC_TYPES, "there must be public events for departments"
    assert offered == set(PUBLIC_TYPES)
    assert set(public_document["components"]["messages"]) == set(PUBLIC_TYPES)
    assert not any(address.endswith(".dlq") for address in public_document["channels"])
    assert all(m["x-convene-public"] for m in public_document["components"]["messages"].values())


def test_every_reference_resolves_inside_the_public_document(
    public_document: dict[str, Any],
) -> None:
    for ref in refs_in(public_document):
        resolve(public_document, ref)


def test_it_names_the_departments_listener_not_the_internal_one(
    public_document: dict[str, Any],
) -> None:
    (server,) = public_document["servers"].values()
    assert server["protocol"] == "kafka-secure"
    assert "SCRAM" in server["description"]


@pytest.mark.parametrize("event_type", sorted(REGISTRY))
def test_every_example_is_a_valid_event_of_its_type(
    full_document: dict[str, Any], event_type: str
) -> None:
    spec = REGISTRY[event_type]
    (example,) = full_document["components"]["messages"][event_type]["examples"]
    event = spec.model.model_validate(example["payload"])
    assert example["headers"]["ce_type"] == event_type
    assert example["headers"]["ce_subject"] == event.subject()

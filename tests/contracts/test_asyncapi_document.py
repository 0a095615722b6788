"""The committed AsyncAPI document lists every topic and event, and its references resolve."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from contracts.base import IntegrationEvent
from contracts.envelope import Envelope
from contracts.generate import asyncapi_path, event_schema
from contracts.registry import REGISTRY, dead_letter_topic, topics

DLQ_HEADERS = {
    "dlq-error-class",
    "dlq-error-message",
    "dlq-consumer",
    "dlq-original-topic",
    "dlq-original-partition",
    "dlq-original-offset",
    "dlq-attempts",
}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    loaded = yaml.safe_load(asyncapi_path().read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), f"non-local $ref {ref!r}"
    node: Any = document
    for token in ref[2:].split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict), f"$ref {ref!r} passes through a non-object"
        assert token in node, f"$ref {ref!r} does not resolve"
        node = node[token]
    return node


def refs_in(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs_in(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs_in(item)


def test_it_is_an_asyncapi_3_document_for_kafka(document: dict[str, Any]) -> None:
    assert document["asyncapi"] == "3.0.0"
    assert document["info"]["title"] == "Convene events"
    assert isinstance(document["info"]["version"], str)
    assert document["servers"]["production"] == {
        **document["servers"]["production"],
        "host": "kafka:9092",
        "protocol": "kafka",
    }


def test_every_reference_resolves(document: dict[str, Any]) -> None:
    refs = list(refs_in(document))
    assert refs
    for ref in refs:
        resolve(document, ref)


@pytest.mark.parametrize("topic", topics())
def test_every_topic_and_its_dead_letter_topic_has_a_channel(
    document: dict[str, Any], topic: str
) -> None:
    assert document["channels"][topic]["address"] == topic
    dlq = dead_letter_topic(topic)
    assert document["channels"][dlq]["address"] == dlq


def test_every_channel_has_one_send_operation_offering_its_messages(
    document: dict[str, Any],
) -> None:
    operations_by_channel: dict[str, list[dict[str, Any]]] = {}
    for operation in document["operations"].values():
        channel_id = operation["channel"]["$ref"].removeprefix("#/channels/")
        operations_by_channel.setdefault(channel_id, []).append(operation)
    assert set(operations_by_channel) == set(document["channels"])
    for channel_id, operations in operations_by_channel.items():
        assert [op["action"] for op in operations] == ["send"], channel_id
        offered = {ref["$ref"] for ref in operations[0]["messages"]}
        in_channel = {
            f"#/channels/{channel_id}/messages/{name}"
            for name in document["channels"][channel_id]["messages"]
        }
        assert offered == in_channel, channel_id


@pytest.mark.parametrize("event_type", sorted(REGISTRY))
def test_every_event_has_a_message_on_its_topic(document: dict[str, Any], event_type: str) -> None:
    spec = REGISTRY[event_type]
    message = resolve(document, document["channels"][spec.topic]["messages"][event_type]["$ref"])
    assert message["name"] == event_type
    assert message["x-convene-public"] is spec.public
    assert message["contentType"] == "application/json"
    payload = resolve(document, message["payload"]["$ref"])
    current = event_schema(spec)
    assert set(payload["properties"]) == set(current["properties"])
    assert payload["required"] == current.get("required", [])
    key = message["bindings"]["kafka"]["key"]
    assert key["type"] == "string"
    assert spec.model.subject_field in key["description"]
    headers = message["headers"]["allOf"]
    assert {"properties": {"ce_type": {"const": event_type}}} in headers


@pytest.mark.parametrize("event_type", sorted(REGISTRY))
def test_headers_schema_matches_what_the_envelope_writes(
    document: dict[str, Any], example_events: dict[str, IntegrationEvent], event_type: str
) -> None:
    headers = document["components"]["schemas"]["CloudEventHeaders"]
    assert {"traceparent", "tracestate"} <= set(headers["properties"])
    envelope = Envelope.wrap(example_events[event_type], source="/convene/test")
    written = {name for name, _ in envelope.headers()}
    assert set(headers["required"]) <= written
    assert written <= set(headers["properties"])


def test_dead_letter_messages_describe_every_dlq_header(document: dict[str, Any]) -> None:
    dead_letter = document["components"]["messages"]["DeadLetter"]
    headers = resolve(document, dead_letter["headers"]["$ref"])
    assert set(headers["required"]) == DLQ_HEADERS
    assert set(headers["properties"]) == DLQ_HEADERS
    assert dead_letter["x-convene-public"] is False

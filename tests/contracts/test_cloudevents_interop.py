"""Every event we publish can be read by the official CloudEvents SDK (Kafka binary mode)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_binary_event

from contracts.base import IntegrationEvent
from contracts.envelope import Envelope
from contracts.registry import REGISTRY

SOURCE = "/convene/test"
TRACEPARENT = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def kafka_message(envelope: Envelope) -> KafkaMessage:
    headers = dict(envelope.headers())
    assert len(headers) == len(envelope.headers()), "duplicate header names"
    # Trace context rides beside the ce_* headers; the SDK must ignore it, not choke on it.
    headers["traceparent"] = TRACEPARENT
    return KafkaMessage(headers=headers, key=envelope.key(), value=envelope.value())


@pytest.mark.parametrize("event_type", sorted(REGISTRY))
def test_the_cloudevents_sdk_reads_what_we_publish(
    example_events: dict[str, IntegrationEvent], event_type: str
) -> None:
    event = example_events[event_type]
    sent_at = datetime(2025, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)
    envelope = Envelope.wrap(event, source=SOURCE, time=sent_at)

    received = from_binary_event(kafka_message(envelope))

    assert received.get_specversion() == "1.0"
    assert received.get_type() == event_type
    assert received.get_id() == envelope.id
    assert received.get_source() == SOURCE
    assert received.get_subject() == event.subject()
    assert received.get_time() == sent_at
    assert received.get_datacontenttype() == "application/json"
    assert received.get_extension("partitionkey") == event.subject()
    assert received.get_data() == event.model_dump(mode="json")
    assert REGISTRY[event_type].model.model_validate(received.get_data()) == event


@pytest.mark.parametrize("event_type", sorted(REGISTRY))
def test_our_own_reader_round_trips_the_same_record(
    example_events: dict[str, IntegrationEvent], event_type: str
) -> None:
    event = example_events[event_type]
    envelope = Envelope.wrap(event, source=SOURCE)
    message = kafka_message(envelope)

    decoded = Envelope.from_kafka(list(message.headers.items()), message.value)

    assert decoded.parse() == event
    assert (decoded.id, decoded.type, decoded.subject) == (envelope.id, event_type, event.subject())
    assert decoded.extra_headers["traceparent"] == TRACEPARENT.decode()

"""What the relay puts on Kafka is a CloudEvent the official SDK reads, carrying its trace."""

from __future__ import annotations

from chassis_support import SOURCE, commit_event, header, invitation, read_topic, records_with_id
from cloudevents.core.bindings.kafka import KafkaMessage, from_binary_event
from opentelemetry import trace
from opentelemetry.trace import SpanKind

from contracts.events.identity import MEMBER_TOPIC, MemberInvitedV1
from contracts.registry import REGISTRY


def as_message(record) -> KafkaMessage:
    headers = dict(record.headers)
    assert len(headers) == len(record.headers), f"duplicate headers: {record.headers}"
    return KafkaMessage(headers=headers, key=record.key, value=record.value)


async def test_sdk_reads_the_published_record_and_its_trace_is_the_appenders(
    sessions, relay, bootstrap, spans
) -> None:
    event = invitation()
    with trace.get_tracer("chassis-tests").start_as_current_span("invite member") as span:
        event_id = await commit_event(sessions, event)
    trace_id = span.get_span_context().trace_id

    await relay.drain()
    [record] = records_with_id(await read_topic(bootstrap, MEMBER_TOPIC), event_id)
    received = from_binary_event(as_message(record))

    assert received.get_specversion() == "1.0"
    assert received.get_type() == "identity.member.invited.v1"
    assert received.get_id() == event_id
    assert received.get_source() == SOURCE
    assert received.get_subject() == str(event.member_id)
    assert received.get_datacontenttype() == "application/json"
    assert received.get_data() == event.model_dump(mode="json")
    assert MemberInvitedV1.model_validate(received.get_data()) == event

    traceparent = header(record, "traceparent")
    assert traceparent is not None, f"no traceparent among {record.headers}"
    _, header_trace_id, parent_span_id, _ = traceparent.split("-")
    assert header_trace_id == format(trace_id, "032x")
    # The record's parent is the relay's publish span, itself a child of the appending span.
    [publish] = [
        s
        for s in spans.get_finished_spans()
        if s.kind == SpanKind.PRODUCER and format(s.context.span_id, "016x") == parent_span_id
    ]
    assert publish.context.trace_id == trace_id
    assert publish.parent is not None
    assert publish.parent.span_id == span.get_span_context().span_id


async def test_sdk_reads_every_event_on_the_member_topic(sessions, relay, bootstrap) -> None:
    await commit_event(sessions, invitation())
    await relay.drain()

    records = await read_topic(bootstrap, MEMBER_TOPIC)

    assert records
    for record in records:
        received = from_binary_event(as_message(record))
        assert received.get_id() == header(record, "ce_id")
        assert received.get_subject() == record.key.decode()
        REGISTRY[received.get_type()].model.model_validate(received.get_data())

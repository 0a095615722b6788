"""Events a consumer cannot apply are parked in `<topic>.dlq`; the consumer keeps going."""

from __future__ import annotations

import json
from collections import Counter

from chassis_support import (
    SOURCE,
    count_effects,
    header,
    invitation,
    produce,
    produce_envelope,
    read_topic,
    write_effect,
)
from sqlalchemy.exc import OperationalError

from contracts.envelope import Envelope
from contracts.events.identity import MemberInvitedV1
from contracts.registry import dead_letter_topic

INVITED = MemberInvitedV1.event_type


def assert_parked(record, *, consumer, topic, offset, error_class, attempts, message) -> None:
    assert header(record, "dlq-error-class") == error_class
    assert message in (header(record, "dlq-error-message") or "")
    assert header(record, "dlq-consumer") == consumer.event_consumer.name
    assert header(record, "dlq-original-topic") == topic
    assert header(record, "dlq-original-partition") == "0"
    assert header(record, "dlq-original-offset") == str(offset)
    assert header(record, "dlq-attempts") == str(attempts)


async def test_undecodable_and_invalid_records_are_parked_and_the_next_is_applied(
    topic, producer, engine, bootstrap, start_consumer
) -> None:
    valid = [Envelope.wrap(invitation(), source=SOURCE) for _ in range(3)]
    not_json = Envelope.wrap(invitation(), source=SOURCE)
    no_email = Envelope.wrap(invitation(), source=SOURCE)
    data_without_email = {k: v for k, v in no_email.data.items() if k != "email"}

    offsets = {
        "no headers": await produce(producer, topic, valid[0].value(), key=b"k"),
        "valid 0": await produce_envelope(producer, topic, valid[0]),
        "not json": await produce(
            producer, topic, b"{not json", key=not_json.key(), headers=not_json.headers()
        ),
        "valid 1": await produce_envelope(producer, topic, valid[1]),
        "no email": await produce(
            producer,
            topic,
            json.dumps(data_without_email).encode(),
            key=no_email.key(),
            headers=no_email.headers(),
        ),
        "valid 2": await produce_envelope(producer, topic, valid[2]),
    }
    consumer = await start_consumer({INVITED: write_effect})
    await consumer.wait_until_committed(offsets["valid 2"] + 1)

    for envelope in valid:
        assert await count_effects(engine, envelope.id) == 1
    for envelope in (not_json, no_email):
        assert await count_effects(engine, envelope.id) == 0
    parked = {
        int(header(r, "dlq-original-offset") or -1): r
        for r in await read_topic(bootstrap, dead_letter_topic(topic))
    }
    assert sorted(parked) == [offsets["no headers"], offsets["not json"], offsets["no email"]]
    expected = {
        "no headers": "missing CloudEvents header ce_specversion",
        "not json": "event data is not JSON",
        "no email": "data failed validation",
    }
    for name, message in expected.items():
        assert_parked(
            parked[offsets[name]],
            consumer=consumer,
            topic=topic,
            offset=offsets[name],
            error_class="EnvelopeError",
            attempts=1,
            message=message,
        )
    # Parked unchanged: the original value, key and CloudEvents headers travel with the error.
    assert parked[offsets["not json"]].value == b"{not json"
    assert parked[offsets["no email"]].key == no_email.key()
    assert header(parked[offsets["no email"]], "ce_id") == no_email.id


async def test_a_handler_that_keeps_failing_is_parked_after_max_attempts(
    topic, producer, engine, bootstrap, start_consumer
) -> None:
    doomed, later = (Envelope.wrap(invitation(), source=SOURCE) for _ in range(2))
    calls: Counter[str] = Counter()

    async def handler(uow, event, envelope) -> None:
        calls[envelope.id] += 1
        await write_effect(uow, event, envelope)
        if envelope.id == doomed.id:
            raise ValueError("this invitation cannot be applied")

    doomed_offset = await produce_envelope(producer, topic, doomed)
    later_offset = await produce_envelope(producer, topic, later)
    consumer = await start_consumer({INVITED: handler}, max_attempts=3)
    await consumer.wait_until_committed(later_offset + 1)

    assert calls == {doomed.id: 3, later.id: 1}
    assert await count_effects(engine, doomed.id) == 0, "a failed attempt's effect was kept"
    assert await count_effects(engine, later.id) == 1
    [parked] = await read_topic(bootstrap, dead_letter_topic(topic))
    assert header(parked, "ce_id") == doomed.id
    assert parked.value == doomed.value()
    assert_parked(
        parked,
        consumer=consumer,
        topic=topic,
        offset=doomed_offset,
        error_class="ValueError",
        attempts=3,
        message="this invitation cannot be applied",
    )


async def test_a_handler_that_fails_once_is_applied_once_and_not_parked(
    topic, producer, engine, bootstrap, start_consumer
) -> None:
    envelope = Envelope.wrap(invitation(), source=SOURCE)
    calls: list[str] = []

    async def handler(uow, event, envelope) -> None:
        calls.append(envelope.id)
        await write_effect(uow, event, envelope)
        if len(calls) == 1:
            raise ValueError("a glitch")

    offset = await produce_envelope(producer, topic, envelope)
    consumer = await start_consumer({INVITED: handler}, max_attempts=3)
    await consumer.wait_until_committed(offset + 1)

    assert len(calls) == 2
    assert await count_effects(engine, envelope.id) == 1
    assert await read_topic(bootstrap, dead_letter_topic(topic)) == []


async def test_a_database_outage_is_retried_beyond_max_attempts_and_never_parked(
    topic, producer, engine, bootstrap, start_consumer
) -> None:
    envelope = Envelope.wrap(invitation(), source=SOURCE)
    calls: list[str] = []

    async def handler(uow, event, envelope) -> None:
        calls.append(envelope.id)
        await write_effect(uow, event, envelope)
        if len(calls) <= 3:
            raise OperationalError("INSERT INTO effects", {}, Exception("connection lost"))

    offset = await produce_envelope(producer, topic, envelope)
    # Three outages with max_attempts=2: counted as failures, they would park the event.
    consumer = await start_consumer({INVITED: handler}, max_attempts=2)
    await consumer.wait_until_committed(offset + 1)

    assert len(calls) == 4
    assert await count_effects(engine, envelope.id) == 1
    assert await read_topic(bootstrap, dead_letter_topic(topic)) == []

"""The inbox turns a redelivered event into a no-op: its effect happens once."""

from __future__ import annotations

from chassis_support import (
    SOURCE,
    count_effects,
    invitation,
    produce_envelope,
    read_topic,
    write_effect,
)
from sqlalchemy import text

from contracts.envelope import Envelope
from contracts.events.identity import MemberInvitedV1
from contracts.registry import dead_letter_topic

INVITED = MemberInvitedV1.event_type


async def test_the_same_event_delivered_twice_is_applied_once(
    topic, producer, engine, bootstrap, start_consumer
) -> None:
    envelope = Envelope.wrap(invitation(), source=SOURCE)
    calls: list[str] = []

    async def handler(uow, event, envelope) -> None:
        calls.append(envelope.id)
        await write_effect(uow, event, envelope)

    first = await produce_envelope(producer, topic, envelope)
    second = await produce_envelope(producer, topic, envelope)
    consumer = await start_consumer({INVITED: handler})
    await consumer.wait_until_committed(second + 1)

    assert calls == [envelope.id]
    assert await count_effects(engine, envelope.id) == 1
    async with engine.connect() as conn:
        inbox = (
            await conn.execute(
                text(
                    'SELECT topic, "offset" FROM inbox WHERE consumer = :consumer'
                    " AND event_id = :event_id"
                ),
                {"consumer": consumer.event_consumer.name, "event_id": envelope.id},
            )
        ).all()
    assert [tuple(row) for row in inbox] == [(topic, first)]
    assert await read_topic(bootstrap, dead_letter_topic(topic)) == [], "a duplicate was parked"

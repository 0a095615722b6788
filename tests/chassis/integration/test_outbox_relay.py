"""The relay publishes each committed event once, in order per key, promptly, after crashes."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

from chassis_support import (
    commit_event,
    header,
    invitation,
    outbox_row,
    read_topic,
    records_with_id,
)
from sqlalchemy import text
from support import eventually

from contracts.events.identity import MEMBER_TOPIC
from services.chassis.relay import OutboxRelay


async def is_sent(engine, event_id: str) -> bool:
    row = await outbox_row(engine, event_id)
    return row is not None and row["sent_at"] is not None


async def lease(engine, event_id: str, *, owner: str, seconds: float) -> None:
    """Make `event_id` look claimed by relay `owner`, its lease ending `seconds` from now."""
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE outbox SET lease_owner = :owner, attempts = attempts + 1,"
                " lease_until = now() + make_interval(secs => :seconds) WHERE event_id = :id"
            ),
            {"owner": owner, "seconds": seconds, "id": event_id},
        )


async def test_drained_event_is_on_the_topic_exactly_once(
    sessions, engine, relay, bootstrap
) -> None:
    event = invitation()
    event_id = await commit_event(sessions, event)

    assert await relay.drain() >= 1
    assert await relay.drain() == 0, "a second drain found something still unsent"

    [record] = records_with_id(await read_topic(bootstrap, MEMBER_TOPIC), event_id)
    assert record.key == str(event.member_id).encode()
    row = await outbox_row(engine, event_id)
    assert row is not None
    assert row["sent_at"] is not None
    assert row["lease_until"] is None
    assert row["attempts"] == 1


async def test_events_of_one_key_are_published_in_commit_order(sessions, relay, bootstrap) -> None:
    member_id = uuid.uuid4()
    event_ids = [await commit_event(sessions, invitation(member_id)) for _ in range(5)]

    await relay.drain()

    records = [
        r for r in await read_topic(bootstrap, MEMBER_TOPIC) if r.key == str(member_id).encode()
    ]
    assert [header(r, "ce_id") for r in records] == event_ids
    assert len({r.partition for r in records}) == 1


async def test_running_relay_wakes_on_notify_long_before_its_sweep(
    sessions, engine, producer, contract_topics, bootstrap
) -> None:
    relay = OutboxRelay(engine, producer, service="test", sweep_seconds=30)
    task = asyncio.create_task(relay.run())
    try:
        # Once the first event is out, the relay is listening and has finished its first drain:
        # from then on only a NOTIFY (or the 30 s sweep) can make it look at the outbox again.
        first_id = await commit_event(sessions, invitation())
        await eventually(lambda: is_sent(engine, first_id))

        loop = asyncio.get_running_loop()
        committed_at = loop.time()
        event_id = await commit_event(sessions, invitation())
        await eventually(lambda: is_sent(engine, event_id), timeout=5)
        elapsed = loop.time() - committed_at

        assert elapsed < 5
        assert not task.done()
        assert len(records_with_id(await read_topic(bootstrap, MEMBER_TOPIC), event_id)) == 1
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await relay.close()


async def test_drain_publishes_a_row_whose_relay_died_holding_its_lease(
    sessions, engine, relay, bootstrap
) -> None:
    event_id = await commit_event(sessions, invitation())
    await lease(engine, event_id, owner="crashed-relay", seconds=-60)

    await relay.drain()

    row = await outbox_row(engine, event_id)
    assert row is not None
    assert row["sent_at"] is not None
    assert row["lease_owner"] == relay.owner
    assert len(records_with_id(await read_topic(bootstrap, MEMBER_TOPIC), event_id)) == 1


async def test_drain_leaves_a_live_lease_and_the_later_events_of_its_key(
    sessions, engine, relay, bootstrap
) -> None:
    member_id = uuid.uuid4()
    held_id = await commit_event(sessions, invitation(member_id))
    behind_id = await commit_event(sessions, invitation(member_id))
    await lease(engine, held_id, owner="other-relay", seconds=3600)

    await relay.drain()

    held, behind = await outbox_row(engine, held_id), await outbox_row(engine, behind_id)
    assert held is not None
    assert behind is not None
    assert (held["sent_at"], held["lease_owner"]) == (None, "other-relay")
    assert behind["sent_at"] is None, "published ahead of an older event of the same key"
    records = await read_topic(bootstrap, MEMBER_TOPIC)
    assert records_with_id(records, held_id) == records_with_id(records, behind_id) == []

    # The other relay dies; once its lease runs out, both go, in their order.
    await lease(engine, held_id, owner="other-relay", seconds=-1)
    await relay.drain()

    keyed = [
        header(r, "ce_id")
        for r in await read_topic(bootstrap, MEMBER_TOPIC)
        if r.key == str(member_id).encode()
    ]
    assert keyed == [held_id, behind_id]

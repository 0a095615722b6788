"""Replay puts a time range of retained events back on the topic, with their original ids."""

from __future__ import annotations

from chassis_support import commit_event, invitation, outbox_row, read_topic, records_with_id

from contracts.events.identity import MEMBER_TOPIC
from services.chassis.relay import replay


async def test_replay_resends_only_the_events_created_in_the_range(
    sessions, engine, relay, bootstrap
) -> None:
    older_id = await commit_event(sessions, invitation())
    newer_id = await commit_event(sessions, invitation())
    await relay.drain()
    older, newer = await outbox_row(engine, older_id), await outbox_row(engine, newer_id)
    assert older is not None
    assert newer is not None

    replayed = await replay(engine, since=older["created_at"], until=newer["created_at"])
    await relay.drain()

    assert replayed == 1
    records = await read_topic(bootstrap, MEMBER_TOPIC)
    copies = records_with_id(records, older_id)
    assert len(copies) == 2
    first, again = copies
    assert (again.key, again.value) == (first.key, first.value)
    assert again.offset > first.offset
    assert len(records_with_id(records, newer_id)) == 1
    row = await outbox_row(engine, older_id)
    assert row is not None
    assert row["sent_at"] is not None

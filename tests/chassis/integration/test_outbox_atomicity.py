"""The outbox row rides in the business transaction: both commit, or neither exists."""

from __future__ import annotations

import uuid

import pytest
from chassis_support import (
    SOURCE,
    commit_event,
    invitation,
    outbox_row,
    read_topic,
    records_with_id,
)
from sqlalchemy import text

from contracts.events.identity import MEMBER_TOPIC
from services.chassis.database import unit_of_work
from services.chassis.outbox import append_to_outbox

INSERT_MEMBER = text("INSERT INTO members (member_id, email) VALUES (:member_id, :email)")


async def member_exists(engine, member_id: uuid.UUID) -> bool:
    async with engine.connect() as conn:
        found = await conn.execute(
            text("SELECT 1 FROM members WHERE member_id = :id"), {"id": member_id}
        )
        return found.first() is not None


async def test_committed_change_and_its_event_both_exist(sessions, engine) -> None:
    event = invitation()

    async with unit_of_work(sessions, SOURCE) as uow:
        await uow.session.execute(
            INSERT_MEMBER, {"member_id": event.member_id, "email": str(event.email)}
        )
        event_id = await append_to_outbox(uow.session, event, source=SOURCE)
        await uow.commit()

    assert await member_exists(engine, event.member_id)
    row = await outbox_row(engine, event_id)
    assert row is not None
    assert row["topic"] == MEMBER_TOPIC
    assert row["key"] == str(event.member_id)
    assert row["event_type"] == "identity.member.invited.v1"
    assert row["sent_at"] is None


async def test_rolled_back_change_leaves_neither_row_nor_event(
    sessions, engine, relay, bootstrap
) -> None:
    event = invitation()

    appended: list[str] = []

    async def fail_after_publishing() -> None:
        async with unit_of_work(sessions, SOURCE) as uow:
            await uow.session.execute(
                INSERT_MEMBER, {"member_id": event.member_id, "email": str(event.email)}
            )
            appended.append(await append_to_outbox(uow.session, event, source=SOURCE))
            raise RuntimeError("the handler failed after publishing")

    with pytest.raises(RuntimeError, match="after publishing"):
        await fail_after_publishing()
    [rolled_back_id] = appended
    # A later, committed event shows the drain and the topic read below do see events.
    committed_id = await commit_event(sessions, invitation())
    await relay.drain()

    assert not await member_exists(engine, event.member_id)
    assert await outbox_row(engine, rolled_back_id) is None
    records = await read_topic(bootstrap, MEMBER_TOPIC)
    assert records_with_id(records, rolled_back_id) == []
    assert len(records_with_id(records, committed_id)) == 1


async def test_leaving_the_unit_of_work_without_commit_discards_the_event(sessions, engine) -> None:
    event = invitation()

    async with unit_of_work(sessions, SOURCE) as uow:
        await uow.session.execute(
            INSERT_MEMBER, {"member_id": event.member_id, "email": str(event.email)}
        )
        await uow.publish(event)

    assert not await member_exists(engine, event.member_id)
    async with engine.connect() as conn:
        left = await conn.execute(
            text("SELECT count(*) FROM outbox WHERE key = :key"), {"key": str(event.member_id)}
        )
        assert left.scalar_one() == 0

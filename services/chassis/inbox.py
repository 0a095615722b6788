"""The inbox: which events a consumer has already applied, written with the effect itself."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Integer, String, Table, func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.chassis.outbox import messaging_metadata

inbox_table = Table(
    "inbox",
    messaging_metadata,
    Column("consumer", String(200), primary_key=True),
    Column("event_id", String(64), primary_key=True),
    Column("event_type", String(200), nullable=False),
    Column("topic", String(200), nullable=False),
    Column("partition", Integer, nullable=False),
    Column("offset", BigInteger, nullable=False),
    Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)


async def claim_in_inbox(
    session: AsyncSession,
    *,
    consumer: str,
    event_id: str,
    event_type: str,
    topic: str,
    partition: int,
    offset: int,
) -> bool:
    """Record that `consumer` applies `event_id` in this transaction.

    Returns False when it was applied before (a redelivery): the caller must then do nothing.
    The row commits or rolls back with the effect, which is what makes the effect happen once.
    """
    result = await session.execute(
        insert(inbox_table)
        .values(
            consumer=consumer,
            event_id=event_id,
            event_type=event_type,
            topic=topic,
            partition=partition,
            offset=offset,
        )
        .on_conflict_do_nothing()
        .returning(inbox_table.c.event_id)
    )
    return result.first() is not None

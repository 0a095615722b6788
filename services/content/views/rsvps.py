"""An event's places and waiting list."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.content.adapters.orm import RsvpRow


async def attendees(session: AsyncSession, item_id: UUID) -> Sequence[RsvpRow]:
    return (
        await session.scalars(
            select(RsvpRow)
            .where(RsvpRow.item_id == item_id, RsvpRow.status != "cancelled")
            .order_by(RsvpRow.status, RsvpRow.requested_at, RsvpRow.member_id)
        )
    ).all()


async def places_taken(session: AsyncSession, item_id: UUID) -> int:
    count = await session.scalar(
        select(func.count()).where(RsvpRow.item_id == item_id, RsvpRow.status == "confirmed")
    )
    return count or 0


async def rsvp(session: AsyncSession, item_id: UUID, member_id: UUID) -> RsvpRow | None:
    return await session.get(RsvpRow, (item_id, member_id))


async def waiting_position(session: AsyncSession, row: RsvpRow) -> int | None:
    """Where `row` is on its event's waiting list (1 = next to get a place); None when it is
    not waiting."""
    if row.status != "waitlisted":
        return None
    ahead = await session.scalar(
        select(func.count()).where(
            RsvpRow.item_id == row.item_id,
            RsvpRow.status == "waitlisted",
            RsvpRow.requested_at < row.requested_at,
        )
    )
    return (ahead or 0) + 1

"""Read-side queries for identity's API."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import literal, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.chassis.pagination import Cursor
from services.identity.adapters.orm import Invitation


async def list_invitations(
    session: AsyncSession, *, limit: int, after: Cursor | None
) -> Sequence[Invitation]:
    """Newest first, keyset-paginated on (created_at, id) so pages stay stable under inserts."""
    query = select(Invitation).order_by(Invitation.created_at.desc(), Invitation.id.desc())
    if after is not None:
        query = query.where(
            tuple_(Invitation.created_at, Invitation.id)
            < tuple_(literal(after.created_at), literal(after.id))
        )
    return (await session.scalars(query.limit(limit))).all()

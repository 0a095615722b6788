"""Items for curators (any status) and single items for members (only those meant for them)."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import literal, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.chassis.pagination import Cursor
from services.content.adapters.orm import Document, Item, ItemAuditEntry
from services.content.views.readers import ReaderContext, permitted


async def list_items(
    session: AsyncSession,
    *,
    status: str | None,
    kind: str | None,
    limit: int,
    after: Cursor | None,
) -> Sequence[Item]:
    query = select(Item).order_by(Item.created_at.desc(), Item.id.desc())
    if status:
        query = query.where(Item.status == status)
    if kind:
        query = query.where(Item.kind == kind)
    if after is not None:
        query = query.where(
            tuple_(Item.created_at, Item.id) < tuple_(literal(after.created_at), literal(after.id))
        )
    return (await session.scalars(query.limit(limit))).all()


async def item_audit(session: AsyncSession, item_id: UUID) -> Sequence[ItemAuditEntry]:
    return (
        await session.scalars(
            select(ItemAuditEntry)
            .where(ItemAuditEntry.item_id == item_id)
            .order_by(ItemAuditEntry.id)
        )
    ).all()


async def item(session: AsyncSession, item_id: UUID) -> Item | None:
    """Any item, whatever its status (for curators)."""
    return await session.get(Item, item_id)


async def visible_item(session: AsyncSession, item_id: UUID, context: ReaderContext) -> Item | None:
    item: Item | None = await session.scalar(
        select(Item).where(Item.id == item_id, permitted(context))
    )
    return item


async def document(session: AsyncSession, item_id: UUID) -> Document | None:
    return await session.get(Document, item_id)

"""A member's own records: their projection row, feed token, topic choices."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.content.adapters.orm import Member, TopicPreference


async def member(session: AsyncSession, member_id: UUID) -> Member | None:
    return await session.get(Member, member_id)


async def member_by_feed_token(session: AsyncSession, token_hash: str) -> Member | None:
    member: Member | None = await session.scalar(
        select(Member).where(Member.feed_token_hash == token_hash)
    )
    return member


async def topic_preferences(session: AsyncSession, member_id: UUID) -> Sequence[TopicPreference]:
    return (
        await session.scalars(
            select(TopicPreference)
            .where(TopicPreference.member_id == member_id)
            .order_by(TopicPreference.topic)
        )
    ).all()

"""Topics: every one by name, or one by its slug."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.content.adapters.orm import Topic


async def topics(session: AsyncSession) -> Sequence[Topic]:
    return (await session.scalars(select(Topic).order_by(Topic.name))).all()


async def topic(session: AsyncSession, slug: str) -> Topic | None:
    return await session.get(Topic, slug)

"""Who is reading: a member's profile, cohorts and topic choices, and the audience rule that
decides which published items they may see. Audience is enforced here, for every read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, and_, cast, func, literal, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import String, Uuid

from services.content.adapters.orm import (
    Cohort,
    Item,
    Member,
    MemberCohort,
    PublishedItem,
    TopicPreference,
)
from services.content.domain import ranking
from services.content.domain.model import ItemStatus


@dataclass(frozen=True)
class ReaderContext:
    """A member as the read side sees them: their profile, cohorts and topic choices."""

    member_id: UUID
    reader: ranking.Reader

    @property
    def cohort_ids(self) -> list[UUID]:
        return list(self.reader.cohorts)


async def reader_context(session: AsyncSession, member_id: UUID) -> ReaderContext:
    member = await session.get(Member, member_id)
    cohorts = (
        await session.execute(
            select(MemberCohort.cohort_id, func.coalesce(Cohort.name, "your cohort"))
            .outerjoin(Cohort, Cohort.cohort_id == MemberCohort.cohort_id)
            .where(MemberCohort.member_id == member_id)
        )
    ).all()
    preferences = (
        await session.execute(
            select(TopicPreference.topic, TopicPreference.mode).where(
                TopicPreference.member_id == member_id
            )
        )
    ).all()
    return ReaderContext(
        member_id,
        ranking.Reader(
            sector=member.sector if member else None,
            region=member.region if member else None,
            expertise=tuple(member.expertise) if member else (),
            cohorts={cohort_id: name for cohort_id, name in cohorts},
            followed_topics=tuple(t for t, mode in preferences if mode == "follow"),
            muted_topics=tuple(t for t, mode in preferences if mode == "mute"),
        ),
    )


def texts(values: Sequence[str]) -> Any:
    """`values` as a PostgreSQL text[] literal, for array operators."""
    return cast(literal(list(values), ARRAY(String)), ARRAY(String))


Table = type[Item] | type[PublishedItem]


def permitted(context: ReaderContext, table: Table = Item) -> ColumnElement[bool]:
    """Published items this member may see (mirrors `domain.model.may_see`)."""
    audience: list[ColumnElement[bool]] = [table.audience == "everyone"]
    if context.reader.cohorts:
        audience.append(
            and_(
                table.audience == "cohorts",
                table.audience_cohort_ids.overlap(
                    cast(literal(context.cohort_ids, ARRAY(Uuid)), ARRAY(Uuid))
                ),
            )
        )
    if context.reader.sector:
        audience.append(
            and_(
                table.audience == "sectors",
                table.audience_sectors.contains(texts([context.reader.sector])),
            )
        )
    if table is Item:
        return and_(Item.status == ItemStatus.PUBLISHED.value, or_(*audience))
    return or_(*audience)

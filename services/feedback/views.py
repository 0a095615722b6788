"""Read-side queries for the API."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.chassis.pagination import Cursor
from services.feedback.adapters.orm import (
    Campaign,
    FollowUp,
    Member,
    MemberCohort,
    Statement,
    StatementVote,
)
from services.feedback.domain.model import AudienceKind, CampaignStatus, StatementStatus


async def campaigns_page(
    session: AsyncSession,
    *,
    member_id: UUID | None,
    cursor: Cursor | None,
    limit: int,
    status: CampaignStatus | None,
) -> list[Campaign]:
    """Newest first. `member_id` None: every campaign (admins); otherwise only the open or
    closed campaigns whose audience includes that active member."""
    query = select(Campaign).order_by(Campaign.created_at.desc(), Campaign.id.desc())
    if status is not None:
        query = query.where(Campaign.status == status)
    if member_id is not None:
        member = await session.get(Member, member_id)
        if member is None or not member.active:
            return []
        cohorts = select(MemberCohort.cohort_id).where(MemberCohort.member_id == member_id)
        audience = [
            Campaign.audience_kind == AudienceKind.ALL,
            and_(
                Campaign.audience_kind == AudienceKind.COHORT,
                Campaign.audience_cohort_id.in_(cohorts),
            ),
        ]
        if member.sector:
            audience.append(
                and_(
                    Campaign.audience_kind == AudienceKind.SECTORS,
                    Campaign.audience_sectors.contains([member.sector]),
                )
            )
        query = query.where(Campaign.status != CampaignStatus.SCHEDULED, or_(*audience))
    if cursor is not None:
        query = query.where(
            or_(
                Campaign.created_at < cursor.created_at,
                and_(Campaign.created_at == cursor.created_at, Campaign.id < cursor.id),
            )
        )
    return list((await session.scalars(query.limit(limit + 1))).all())


async def statements_for_member(
    session: AsyncSession, campaign_id: UUID, pseudonym: str | None, *, after: int, limit: int
) -> list[tuple[Statement, int | None]]:
    """Approved statements in submission order, with the caller's own vote (or None)."""
    mine = (
        select(StatementVote.value)
        .where(
            StatementVote.statement_id == Statement.id,
            StatementVote.pseudonym == (pseudonym or ""),
        )
        .scalar_subquery()
    )
    rows = await session.execute(
        select(Statement, mine)
        .where(
            Statement.campaign_id == campaign_id,
            Statement.status == StatementStatus.APPROVED,
            Statement.seq > after,
        )
        .order_by(Statement.seq)
        .limit(limit + 1)
    )
    return [(statement, vote) for statement, vote in rows.all()]


async def statements_for_admin(
    session: AsyncSession,
    campaign_id: UUID,
    status: StatementStatus | None,
    *,
    after: int,
    limit: int,
) -> list[tuple[Statement, int]]:
    votes = select(func.count()).where(StatementVote.statement_id == Statement.id).scalar_subquery()
    query = select(Statement, votes).where(
        Statement.campaign_id == campaign_id, Statement.seq > after
    )
    if status is not None:
        query = query.where(Statement.status == status)
    rows = await session.execute(query.order_by(Statement.seq).limit(limit + 1))
    return [(statement, count) for statement, count in rows.all()]


async def follow_ups(session: AsyncSession, campaign_id: UUID) -> list[FollowUp]:
    return list(
        (
            await session.scalars(
                select(FollowUp)
                .where(FollowUp.campaign_id == campaign_id)
                .order_by(FollowUp.posted_at, FollowUp.id)
            )
        ).all()
    )

"""Read-side queries for identity's API."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import func, literal, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.chassis.pagination import Cursor
from services.identity.adapters.orm import (
    AuditEntry,
    Cohort,
    CohortMembership,
    Invitation,
    Member,
    ServiceAccount,
)


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


async def list_members(
    session: AsyncSession, *, status: str | None, limit: int, after: Cursor | None
) -> Sequence[Member]:
    query = select(Member).order_by(Member.created_at.desc(), Member.id.desc())
    if status is not None:
        query = query.where(Member.status == status)
    if after is not None:
        query = query.where(
            tuple_(Member.created_at, Member.id)
            < tuple_(literal(after.created_at), literal(after.id))
        )
    return (await session.scalars(query.limit(limit))).all()


async def audit_entries(
    session: AsyncSession, *, member_id: UUID | None, limit: int, before: int | None
) -> Sequence[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    if member_id is not None:
        query = query.where(AuditEntry.member_id == member_id)
    if before is not None:
        query = query.where(AuditEntry.id < before)
    return (await session.scalars(query.limit(limit))).all()


async def cohorts_with_counts(session: AsyncSession) -> Sequence[tuple[Cohort, int]]:
    """Every cohort, newest year first, with how many members it has."""
    members = func.count(CohortMembership.member_id)
    query = (
        select(Cohort, members)
        .outerjoin(CohortMembership, CohortMembership.cohort_id == Cohort.id)
        .group_by(Cohort.id)
        .order_by(Cohort.year.desc(), Cohort.name)
    )
    return [(cohort, count) for cohort, count in (await session.execute(query)).all()]


async def cohort_size(session: AsyncSession, cohort_id: UUID) -> int:
    count = await session.scalar(
        select(func.count()).where(CohortMembership.cohort_id == cohort_id)
    )
    return int(count or 0)


async def cohort_members(
    session: AsyncSession, cohort_id: UUID, *, limit: int, after: Cursor | None
) -> Sequence[Member]:
    query = (
        select(Member)
        .join(CohortMembership, CohortMembership.member_id == Member.id)
        .where(CohortMembership.cohort_id == cohort_id)
        .order_by(Member.created_at.desc(), Member.id.desc())
    )
    if after is not None:
        query = query.where(
            tuple_(Member.created_at, Member.id)
            < tuple_(literal(after.created_at), literal(after.id))
        )
    return (await session.scalars(query.limit(limit))).all()


async def service_accounts(session: AsyncSession) -> Sequence[ServiceAccount]:
    """Every service account, revoked ones too, newest first."""
    query = select(ServiceAccount).order_by(ServiceAccount.created_at.desc())
    return (await session.scalars(query)).all()

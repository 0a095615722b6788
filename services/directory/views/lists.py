"""The lists owners, delegates and admins page through: organisations, contact requests,
blocks, delegates, connections, profile views, activity, notices and reports."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import and_, func, literal, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.adapters.orm import (
    ActivityEntry,
    Block,
    Connection,
    ContactRequest,
    Delegate,
    Notice,
    Organisation,
    Profile,
    ProfileReport,
    ProfileView,
)

#: pg_trgm word similarity above which an organisation name matches a mistyped query.
ORGANISATION_SIMILARITY = 0.45


async def organisations(
    session: AsyncSession, *, q: str | None, type_: str | None, limit: int, after: str | None
) -> Sequence[Organisation]:
    """By name (keyset on lower(name)); `q` matches anywhere in the name, typos allowed."""
    query = select(Organisation)
    if q:
        query = query.where(
            or_(
                Organisation.name.ilike(f"%{_like(q)}%"),
                func.word_similarity(q, Organisation.name) >= ORGANISATION_SIMILARITY,
            )
        )
    if type_:
        query = query.where(Organisation.type == type_)
    if after is not None:
        query = query.where(func.lower(Organisation.name) > after)
    return (await session.scalars(query.order_by(func.lower(Organisation.name)).limit(limit))).all()


def _like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def contact_requests(
    session: AsyncSession,
    *,
    member_id: UUID,
    direction: str,
    status: str | None,
    limit: int,
    after: tuple[datetime, UUID] | None,
) -> Sequence[ContactRequest]:
    column = ContactRequest.recipient_id if direction == "incoming" else ContactRequest.requester_id
    query = select(ContactRequest).where(column == member_id)
    if status == "expired":
        query = query.where(
            or_(
                ContactRequest.status == "expired",
                and_(
                    ContactRequest.status == "pending",
                    ContactRequest.expires_at <= datetime.now(UTC),
                ),
            )
        )
    elif status == "pending":
        query = query.where(
            ContactRequest.status == "pending", ContactRequest.expires_at > datetime.now(UTC)
        )
    elif status is not None:
        query = query.where(ContactRequest.status == status)
    if after is not None:
        query = query.where(
            tuple_(ContactRequest.created_at, ContactRequest.id)
            < tuple_(literal(after[0]), literal(after[1]))
        )
    return (
        await session.scalars(
            query.order_by(ContactRequest.created_at.desc(), ContactRequest.id.desc()).limit(limit)
        )
    ).all()


async def blocked_by(session: AsyncSession, member_id: UUID) -> Sequence[Block]:
    return (
        await session.scalars(
            select(Block).where(Block.blocker_id == member_id).order_by(Block.created_at.desc())
        )
    ).all()


async def delegates_of(session: AsyncSession, member_id: UUID) -> Sequence[Delegate]:
    return (
        await session.scalars(
            select(Delegate).where(Delegate.principal_id == member_id).order_by(Delegate.created_at)
        )
    ).all()


async def names(session: AsyncSession, member_ids: Iterable[UUID]) -> dict[UUID, str]:
    ids = list(set(member_ids))
    if not ids:
        return {}
    rows = await session.execute(
        select(Profile.member_id, Profile.full_name).where(Profile.member_id.in_(ids))
    )
    return {member_id: name for member_id, name in rows}


async def profile_viewers(
    session: AsyncSession, *, profile_id: UUID, limit: int, before: int | None
) -> Sequence[ProfileView]:
    """Newest first, programme admins' views included (flagged): members see every access."""
    query = select(ProfileView).where(ProfileView.profile_id == profile_id)
    if before is not None:
        query = query.where(ProfileView.id < before)
    return (await session.scalars(query.order_by(ProfileView.id.desc()).limit(limit))).all()


async def views_by(
    session: AsyncSession,
    *,
    viewer_id: UUID | None,
    profile_id: UUID | None,
    limit: int,
    before: int | None,
) -> Sequence[ProfileView]:
    query = select(ProfileView)
    if viewer_id is not None:
        query = query.where(ProfileView.viewer_id == viewer_id)
    if profile_id is not None:
        query = query.where(ProfileView.profile_id == profile_id)
    if before is not None:
        query = query.where(ProfileView.id < before)
    return (await session.scalars(query.order_by(ProfileView.id.desc()).limit(limit))).all()


async def activity(
    session: AsyncSession, *, member_id: UUID, limit: int, before: int | None
) -> Sequence[ActivityEntry]:
    query = select(ActivityEntry).where(ActivityEntry.member_id == member_id)
    if before is not None:
        query = query.where(ActivityEntry.id < before)
    return (await session.scalars(query.order_by(ActivityEntry.id.desc()).limit(limit))).all()


async def notices(session: AsyncSession, member_id: UUID, limit: int) -> Sequence[Notice]:
    return (
        await session.scalars(
            select(Notice)
            .where(Notice.member_id == member_id)
            .order_by(Notice.id.desc())
            .limit(limit)
        )
    ).all()


async def reports(
    session: AsyncSession, *, status: str | None, member_id: UUID | None, limit: int
) -> Sequence[ProfileReport]:
    query = select(ProfileReport)
    if status:
        query = query.where(ProfileReport.status == status)
    if member_id:
        query = query.where(ProfileReport.member_id == member_id)
    return (
        await session.scalars(query.order_by(ProfileReport.created_at.desc()).limit(limit))
    ).all()


async def connections_of(session: AsyncSession, member_id: UUID) -> Sequence[Connection]:
    """Accepted contacts, newest first."""
    return (
        await session.scalars(
            select(Connection)
            .where(Connection.member_id == member_id)
            .order_by(Connection.created_at.desc())
            .limit(500)
        )
    ).all()

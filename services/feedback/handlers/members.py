"""The member projection, from identity's and the directory's events: who is active, in which
cohorts, with which sector and region; and erasure."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert

from services.chassis.database import UnitOfWork
from services.feedback.adapters import pseudonyms
from services.feedback.adapters.orm import (
    GroupPlacement,
    Member,
    MemberCohort,
    MemberSalt,
    Response,
    Statement,
    StatementVote,
)
from services.feedback.domain import commands


async def _ensure_member(uow: UnitOfWork, member_id: UUID, *, active: bool | None) -> None:
    # The salt is born here, with the projection, so that it never shares a transaction with
    # the member's first answer, vote or statement.
    await pseudonyms.create_salt(uow.session, member_id)
    statement = insert(Member).values(member_id=member_id, active=bool(active))
    if active is None:
        statement = statement.on_conflict_do_nothing(index_elements=[Member.member_id])
    else:
        statement = statement.on_conflict_do_update(
            index_elements=[Member.member_id], set_={"active": active}
        )
    await uow.session.execute(statement)


async def record_member_active(command: commands.RecordMemberActive, uow: UnitOfWork) -> None:
    """Activation makes a member eligible; deactivation ends it. Idempotent."""
    await _ensure_member(uow, command.member_id, active=command.active)


async def record_cohort_joined(command: commands.RecordCohortJoined, uow: UnitOfWork) -> None:
    await _ensure_member(uow, command.member_id, active=None)
    await uow.session.execute(
        insert(MemberCohort)
        .values(
            member_id=command.member_id,
            cohort_id=command.cohort_id,
            cohort_name=command.cohort_name,
            cohort_year=command.cohort_year,
            joined_at=command.joined_at,
        )
        .on_conflict_do_update(
            index_elements=[MemberCohort.member_id, MemberCohort.cohort_id],
            set_={"cohort_name": command.cohort_name, "cohort_year": command.cohort_year},
        )
    )


async def record_cohort_left(command: commands.RecordCohortLeft, uow: UnitOfWork) -> None:
    await uow.session.execute(
        delete(MemberCohort).where(
            MemberCohort.member_id == command.member_id,
            MemberCohort.cohort_id == command.cohort_id,
        )
    )


async def salt_member(command: commands.SaltMember, uow: UnitOfWork) -> None:
    """Create the member's salt if they have none, in a unit of work of its own that commits
    before any write of theirs begins (see `adapters.pseudonyms`). Idempotent."""
    if not await pseudonyms.has_salt(uow.session, command.member_id):
        await pseudonyms.create_salt(uow.session, command.member_id)


async def record_member_profile(command: commands.RecordMemberProfile, uow: UnitOfWork) -> None:
    """Sector and region, as the directory publishes them; the one place they are set."""
    await _ensure_member(uow, command.member_id, active=None)
    await uow.session.execute(
        update(Member)
        .where(Member.member_id == command.member_id)
        .values(sector=command.sector, region=command.region)
    )


async def erase_member(command: commands.EraseMember, uow: UnitOfWork) -> None:
    """Remove the member's attributed answers and everything that links them to a pseudonym.

    Attributed campaigns: the response (the one row naming them) goes, and with it, found
    through that row, their votes and group placement. Then the member's salt goes
    (crypto-shredding): anonymous answers stay in the aggregates, but nobody, not even with the
    service key, can ever again find which were theirs. Needs no key; idempotent.
    """
    member_id = command.member_id
    named = (
        await uow.session.execute(
            select(Response.campaign_id, Response.pseudonym).where(Response.member_id == member_id)
        )
    ).all()
    for campaign_id, name in named:
        await uow.session.execute(
            delete(StatementVote).where(
                StatementVote.campaign_id == campaign_id, StatementVote.pseudonym == name
            )
        )
        await uow.session.execute(
            delete(GroupPlacement).where(
                GroupPlacement.campaign_id == campaign_id, GroupPlacement.pseudonym == name
            )
        )
        await uow.session.execute(
            update(Statement)
            .where(Statement.campaign_id == campaign_id, Statement.author_pseudonym == name)
            .values(author_pseudonym=None)
        )
    await uow.session.execute(delete(Response).where(Response.member_id == member_id))
    await uow.session.execute(delete(MemberSalt).where(MemberSalt.member_id == member_id))
    await uow.session.execute(delete(Member).where(Member.member_id == member_id))

"""The member projection: who members are (identity's events), their cohorts, the profile
their feed is personalised by, what they have read, and erasure."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert

from services.chassis.database import UnitOfWork
from services.chassis.mail import mail_outbox_table
from services.content.adapters.orm import (
    Cohort,
    Digest,
    Member,
    MemberCohort,
    Read,
    RsvpRow,
    TopicPreference,
)
from services.content.domain import commands
from services.content.domain.errors import ProfileFromDirectory
from services.content.domain.model import slugify, slugs
from services.content.handlers.rsvps import cancel_rsvp


async def locked_member(uow: UnitOfWork, member_id: UUID) -> Member:
    """The member's row, locked, created empty if we have not heard of them yet."""
    await uow.session.execute(
        insert(Member)
        .values(member_id=member_id)
        .on_conflict_do_nothing(index_elements=["member_id"])
    )
    member = await uow.session.get(Member, member_id, with_for_update=True, populate_existing=True)
    assert member is not None
    return member


async def record_member(command: commands.RecordMember, uow: UnitOfWork) -> None:
    member = await locked_member(uow, command.member_id)
    member.full_name, member.email, member.active = command.full_name, command.email, True


async def deactivate_member(command: commands.DeactivateMember, uow: UnitOfWork) -> None:
    await uow.session.execute(
        update(Member).where(Member.member_id == command.member_id).values(active=False)
    )


async def erase_member(command: commands.EraseMember, uow: UnitOfWork) -> None:
    """Forget the member: reading history, follows, RSVPs (their places go to the waiting
    list), digests, digest preference, feed token, cohorts and profile. Idempotent."""
    member_id = command.member_id
    held = (
        await uow.session.scalars(
            select(RsvpRow.item_id).where(
                RsvpRow.member_id == member_id, RsvpRow.status == "confirmed"
            )
        )
    ).all()
    for item_id in held:
        await cancel_rsvp(commands.CancelRsvp(member_id=member_id, item_id=item_id), uow)
    email = await uow.session.scalar(select(Member.email).where(Member.member_id == member_id))
    if email:
        # Digests and place offers queued or kept for support name them too.
        await uow.session.execute(
            delete(mail_outbox_table).where(mail_outbox_table.c.to_address == email)
        )
    for table in (Read, TopicPreference, RsvpRow, Digest, MemberCohort, Member):
        await uow.session.execute(delete(table).where(table.member_id == member_id))


async def join_cohort(command: commands.JoinCohort, uow: UnitOfWork) -> None:
    await name_cohort(commands.NameCohort(command.cohort_id, command.cohort_name), uow)
    await uow.session.execute(
        insert(MemberCohort)
        .values(member_id=command.member_id, cohort_id=command.cohort_id)
        .on_conflict_do_nothing()
    )


async def leave_cohort(command: commands.LeaveCohort, uow: UnitOfWork) -> None:
    await uow.session.execute(
        delete(MemberCohort).where(
            MemberCohort.member_id == command.member_id,
            MemberCohort.cohort_id == command.cohort_id,
        )
    )


async def name_cohort(command: commands.NameCohort, uow: UnitOfWork) -> None:
    await uow.session.execute(
        insert(Cohort)
        .values(cohort_id=command.cohort_id, name=command.name)
        .on_conflict_do_update(index_elements=["cohort_id"], set_={"name": command.name})
    )


async def set_profile(command: commands.SetProfile, uow: UnitOfWork) -> Member:
    member = await locked_member(uow, command.member_id)
    if command.source == "member" and member.profile_source == "directory":
        raise ProfileFromDirectory()
    member.sector = slugify(command.sector) or None if command.sector else None
    member.region = slugify(command.region) or None if command.region else None
    member.expertise = slugs(command.expertise)
    member.profile_source = command.source
    return member


async def record_read(command: commands.RecordRead, uow: UnitOfWork) -> None:
    await uow.session.execute(
        insert(Read)
        .values(member_id=command.member_id, item_id=command.item_id)
        .on_conflict_do_nothing()
    )

"""From identity's events: drafts, deactivation, erasure and cohorts (idempotent)."""

from datetime import UTC, datetime

from sqlalchemy import delete, or_, update
from sqlalchemy.dialects.postgresql import insert

from contracts.events.directory import (
    PublicProfileRemovedV1,
)
from services.chassis.database import UnitOfWork
from services.directory import events
from services.directory.adapters.orm import (
    ActivityEntry,
    Block,
    Cohort,
    CohortMembership,
    Connection,
    ContactRequest,
    Delegate,
    Notice,
    Photo,
    Profile,
    ProfileReport,
    ProfileView,
)
from services.directory.adapters.search import index as search_index
from services.directory.domain import commands
from services.directory.domain.model import (
    ProfileStatus,
    stored_visibility,
)
from services.directory.handlers.authority import is_listed
from services.directory.handlers.profile_changes import (
    profile_changed,
    record_activity,
)


async def create_draft_profile(command: commands.CreateDraftProfile, uow: UnitOfWork) -> None:
    """A draft holding what identity knew; a second request for the same member only fills
    the work email if it is still empty (activation carries it, invitation may not)."""
    profile = await uow.session.get(Profile, command.member_id)
    if profile is not None:
        if command.email and not profile.email:
            profile.email = command.email
        return
    uow.session.add(
        Profile(
            member_id=command.member_id,
            full_name=command.full_name,
            organisation=command.organisation,
            status=ProfileStatus.DRAFT,
            email=command.email,
            visibility=stored_visibility(None),
            expertise=[],
            languages=[],
            active=True,
            has_photo=False,
            sort_name=command.full_name.lower(),
            created_at=datetime.now(UTC),
            updated_at=datetime.now(UTC),
        )
    )


async def deactivate_member(command: commands.DeactivateMember, uow: UnitOfWork) -> None:
    profile = await uow.session.get(Profile, command.member_id, with_for_update=True)
    if profile is None or not profile.active:
        return
    was_listed = is_listed(profile)
    profile.active = False
    profile.updated_at = datetime.now(UTC)
    record_activity(uow, profile.member_id, None, False, "profile.deactivated")
    if was_listed:
        await events.publish_profile_removed(
            uow, profile.member_id, "deactivated", profile.updated_at
        )
    await events.publish_public_entry(uow, profile, None, profile.updated_at)


async def remove_profile(command: commands.RemoveProfile, uow: UnitOfWork) -> None:
    """Erasure: the profile, its photo, requests, connections, blocks, delegations, views,
    reports, notices and activity all go; others' activity keeps the entry but not the actor."""
    member = command.member_id
    session = uow.session
    profile = await session.get(Profile, member, with_for_update=True)
    words = await search_index.indexed_words(session, member) if profile else []
    had_public_entry = profile is not None and profile.public_entry is not None
    await session.execute(
        delete(ContactRequest).where(
            or_(ContactRequest.requester_id == member, ContactRequest.recipient_id == member)
        )
    )
    await session.execute(
        delete(Connection).where(or_(Connection.member_id == member, Connection.other_id == member))
    )
    await session.execute(
        delete(Block).where(or_(Block.blocker_id == member, Block.blocked_id == member))
    )
    await session.execute(
        delete(Delegate).where(or_(Delegate.principal_id == member, Delegate.delegate_id == member))
    )
    await session.execute(
        delete(ProfileView).where(
            or_(ProfileView.profile_id == member, ProfileView.viewer_id == member)
        )
    )
    await session.execute(
        delete(ProfileReport).where(
            or_(ProfileReport.member_id == member, ProfileReport.reporter_id == member)
        )
    )
    await session.execute(delete(Notice).where(Notice.member_id == member))
    await session.execute(delete(ActivityEntry).where(ActivityEntry.member_id == member))
    await session.execute(
        update(ActivityEntry).where(ActivityEntry.actor_id == member).values(actor_id=None)
    )
    await session.execute(delete(CohortMembership).where(CohortMembership.member_id == member))
    await session.execute(delete(Photo).where(Photo.member_id == member))
    await session.execute(delete(Profile).where(Profile.member_id == member))
    await search_index.forget_words(session, words)
    if profile is not None:
        removed = await events.publish_profile_removed(uow, member, "erased", datetime.now(UTC))
        if had_public_entry:
            await uow.publish(PublicProfileRemovedV1.twin_of(removed))


async def record_cohort(command: commands.RecordCohort, uow: UnitOfWork) -> None:
    await uow.session.execute(
        insert(Cohort)
        .values(id=command.cohort_id, name=command.name, year=command.year)
        .on_conflict_do_update(
            index_elements=[Cohort.id], set_={"name": command.name, "year": command.year}
        )
    )


async def join_cohort(command: commands.JoinCohort, uow: UnitOfWork) -> None:
    # The cohort may arrive on its own topic after this event: make sure it exists.
    await uow.session.execute(
        insert(Cohort)
        .values(id=command.cohort_id, name=command.cohort_name, year=command.cohort_year)
        .on_conflict_do_nothing()
    )
    added = await uow.session.execute(
        insert(CohortMembership)
        .values(member_id=command.member_id, cohort_id=command.cohort_id)
        .on_conflict_do_nothing()
        .returning(CohortMembership.member_id)
    )
    profile = await uow.session.get(Profile, command.member_id)
    if added.first() is not None and profile is not None:
        profile.updated_at = datetime.now(UTC)
        await profile_changed(uow, profile)


async def leave_cohort(command: commands.LeaveCohort, uow: UnitOfWork) -> None:
    removed = await uow.session.execute(
        delete(CohortMembership)
        .where(
            CohortMembership.member_id == command.member_id,
            CohortMembership.cohort_id == command.cohort_id,
        )
        .returning(CohortMembership.member_id)
    )
    profile = await uow.session.get(Profile, command.member_id)
    if removed.first() is not None and profile is not None:
        profile.updated_at = datetime.now(UTC)
        await profile_changed(uow, profile)

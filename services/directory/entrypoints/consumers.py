"""Events the directory consumes, each mapped to a command. The chassis runs the inbox."""

from __future__ import annotations

from contracts import Envelope
from contracts.events.identity import (
    CohortCreatedV1,
    CohortUpdatedV1,
    MemberActivatedV1,
    MemberDeactivatedV1,
    MemberErasedV1,
    MemberInvitedV1,
    MemberJoinedCohortV1,
    MemberLeftCohortV1,
)
from services.chassis.consumer import Handler
from services.chassis.database import UnitOfWork
from services.directory.domain import commands
from services.directory.handlers import members


async def on_member_invited(uow: UnitOfWork, event: MemberInvitedV1, _: Envelope) -> None:
    await members.create_draft_profile(
        commands.CreateDraftProfile(
            member_id=event.member_id, full_name=event.full_name, organisation=event.organisation
        ),
        uow,
    )


async def on_member_activated(uow: UnitOfWork, event: MemberActivatedV1, _: Envelope) -> None:
    # Usually the invitation already made the draft; activation adds the work email.
    await members.create_draft_profile(
        commands.CreateDraftProfile(
            member_id=event.member_id,
            full_name=event.full_name,
            organisation=event.organisation,
            email=str(event.email),
        ),
        uow,
    )


async def on_member_deactivated(uow: UnitOfWork, event: MemberDeactivatedV1, _: Envelope) -> None:
    await members.deactivate_member(commands.DeactivateMember(member_id=event.member_id), uow)


async def on_member_erased(uow: UnitOfWork, event: MemberErasedV1, _: Envelope) -> None:
    await members.remove_profile(commands.RemoveProfile(member_id=event.member_id), uow)


async def on_cohort_changed(
    uow: UnitOfWork, event: CohortCreatedV1 | CohortUpdatedV1, _: Envelope
) -> None:
    await members.record_cohort(
        commands.RecordCohort(cohort_id=event.cohort_id, name=event.name, year=event.year), uow
    )


async def on_member_joined_cohort(
    uow: UnitOfWork, event: MemberJoinedCohortV1, _: Envelope
) -> None:
    await members.join_cohort(
        commands.JoinCohort(
            member_id=event.member_id,
            cohort_id=event.cohort_id,
            cohort_name=event.cohort_name,
            cohort_year=event.cohort_year,
        ),
        uow,
    )


async def on_member_left_cohort(uow: UnitOfWork, event: MemberLeftCohortV1, _: Envelope) -> None:
    await members.leave_cohort(
        commands.LeaveCohort(member_id=event.member_id, cohort_id=event.cohort_id), uow
    )


EVENT_HANDLERS: dict[str, Handler] = {
    MemberInvitedV1.event_type: on_member_invited,
    MemberActivatedV1.event_type: on_member_activated,
    MemberDeactivatedV1.event_type: on_member_deactivated,
    MemberErasedV1.event_type: on_member_erased,
    CohortCreatedV1.event_type: on_cohort_changed,
    CohortUpdatedV1.event_type: on_cohort_changed,
    MemberJoinedCohortV1.event_type: on_member_joined_cohort,
    MemberLeftCohortV1.event_type: on_member_left_cohort,
}

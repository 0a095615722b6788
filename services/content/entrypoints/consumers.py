"""Events content consumes, each mapped to a command. The chassis runs the inbox.

Identity's member events feed the projection (who a member is, where to email them, their
cohorts) and erasure. Directory profile events (sector, region, expertise) map to
`SetProfile(source="directory")`; a member who has no directory profile yet may set those
through `PUT /me/profile`.
"""

from __future__ import annotations

from contracts import Envelope
from contracts.events.directory import ProfilePublishedV1, ProfileUpdatedV1
from contracts.events.identity import (
    CohortCreatedV1,
    MemberActivatedV1,
    MemberDeactivatedV1,
    MemberErasedV1,
    MemberJoinedCohortV1,
    MemberLeftCohortV1,
)
from services.chassis.consumer import Handler
from services.chassis.database import UnitOfWork
from services.content.domain import commands
from services.content.handlers import members


async def on_member_activated(uow: UnitOfWork, event: MemberActivatedV1, _: Envelope) -> None:
    await members.record_member(
        commands.RecordMember(
            member_id=event.member_id, full_name=event.full_name, email=str(event.email)
        ),
        uow,
    )


async def on_member_deactivated(uow: UnitOfWork, event: MemberDeactivatedV1, _: Envelope) -> None:
    await members.deactivate_member(commands.DeactivateMember(member_id=event.member_id), uow)


async def on_member_erased(uow: UnitOfWork, event: MemberErasedV1, _: Envelope) -> None:
    await members.erase_member(commands.EraseMember(member_id=event.member_id), uow)


async def on_member_joined_cohort(
    uow: UnitOfWork, event: MemberJoinedCohortV1, _: Envelope
) -> None:
    await members.join_cohort(
        commands.JoinCohort(
            member_id=event.member_id, cohort_id=event.cohort_id, cohort_name=event.cohort_name
        ),
        uow,
    )


async def on_member_left_cohort(uow: UnitOfWork, event: MemberLeftCohortV1, _: Envelope) -> None:
    await members.leave_cohort(
        commands.LeaveCohort(member_id=event.member_id, cohort_id=event.cohort_id), uow
    )


async def on_cohort_created(uow: UnitOfWork, event: CohortCreatedV1, _: Envelope) -> None:
    await members.name_cohort(commands.NameCohort(cohort_id=event.cohort_id, name=event.name), uow)


async def on_profile_changed(
    uow: UnitOfWork, event: ProfilePublishedV1 | ProfileUpdatedV1, _: Envelope
) -> None:
    await members.set_profile(
        commands.SetProfile(
            member_id=event.member_id,
            sector=event.sector,
            region=event.region,
            expertise=list(event.expertise),
            source="directory",
        ),
        uow,
    )


EVENT_HANDLERS: dict[str, Handler] = {
    ProfilePublishedV1.event_type: on_profile_changed,
    ProfileUpdatedV1.event_type: on_profile_changed,
    MemberActivatedV1.event_type: on_member_activated,
    MemberDeactivatedV1.event_type: on_member_deactivated,
    MemberErasedV1.event_type: on_member_erased,
    MemberJoinedCohortV1.event_type: on_member_joined_cohort,
    MemberLeftCohortV1.event_type: on_member_left_cohort,
    CohortCreatedV1.event_type: on_cohort_created,
}

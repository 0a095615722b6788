"""Events feedback consumes, each mapped to a command. The chassis runs the inbox.

Identity's member events keep the eligibility projection (active, cohorts) and drive erasure.
Sector and region come from the directory's profile events through `on_member_profile`'s
command, `RecordMemberProfile`: the one place they are set.
"""

from __future__ import annotations

from contracts import Envelope
from contracts.events.directory import ProfilePublishedV1, ProfileUpdatedV1
from contracts.events.identity import (
    MemberActivatedV1,
    MemberDeactivatedV1,
    MemberErasedV1,
    MemberJoinedCohortV1,
    MemberLeftCohortV1,
)
from services.chassis.consumer import Handler
from services.chassis.database import UnitOfWork
from services.feedback.domain import commands
from services.feedback.handlers import members


async def on_member_activated(uow: UnitOfWork, event: MemberActivatedV1, _: Envelope) -> None:
    await members.record_member_active(commands.RecordMemberActive(event.member_id, True), uow)


async def on_member_deactivated(uow: UnitOfWork, event: MemberDeactivatedV1, _: Envelope) -> None:
    await members.record_member_active(commands.RecordMemberActive(event.member_id, False), uow)


async def on_cohort_joined(
    uow: UnitOfWork, event: MemberJoinedCohortV1, envelope: Envelope
) -> None:
    await members.record_cohort_joined(
        commands.RecordCohortJoined(
            member_id=event.member_id,
            cohort_id=event.cohort_id,
            cohort_name=event.cohort_name,
            cohort_year=event.cohort_year,
            joined_at=envelope.time,
        ),
        uow,
    )


async def on_cohort_left(uow: UnitOfWork, event: MemberLeftCohortV1, _: Envelope) -> None:
    await members.record_cohort_left(
        commands.RecordCohortLeft(event.member_id, event.cohort_id), uow
    )


async def on_profile_changed(
    uow: UnitOfWork, event: ProfilePublishedV1 | ProfileUpdatedV1, _: Envelope
) -> None:
    await members.record_member_profile(
        commands.RecordMemberProfile(event.member_id, event.sector, event.region), uow
    )


async def on_member_erased(uow: UnitOfWork, event: MemberErasedV1, _: Envelope) -> None:
    await members.erase_member(commands.EraseMember(event.member_id), uow)


EVENT_HANDLERS: dict[str, Handler] = {
    MemberActivatedV1.event_type: on_member_activated,
    MemberDeactivatedV1.event_type: on_member_deactivated,
    MemberJoinedCohortV1.event_type: on_cohort_joined,
    MemberLeftCohortV1.event_type: on_cohort_left,
    MemberErasedV1.event_type: on_member_erased,
    ProfilePublishedV1.event_type: on_profile_changed,
    ProfileUpdatedV1.event_type: on_profile_changed,
}

"""What follows every change to a profile: the activity log, its search entry, its events."""

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select

from services.chassis.database import UnitOfWork
from services.directory import events
from services.directory.adapters.orm import (
    ActivityEntry,
    Cohort,
    CohortMembership,
    Organisation,
    Profile,
)
from services.directory.adapters.search import index as search_index
from services.directory.domain import commands
from services.directory.handlers.authority import is_listed


def record_activity(
    uow: UnitOfWork,
    member_id: UUID,
    actor: commands.Actor | None,
    as_delegate: bool,
    action: str,
    **details: Any,
) -> None:
    uow.session.add(
        ActivityEntry(
            member_id=member_id,
            actor_id=actor.member_id if actor else None,
            as_delegate=as_delegate,
            action=action,
            details=details,
            at=datetime.now(UTC),
        )
    )


async def organisation_and_cohorts(
    uow: UnitOfWork, profile: Profile
) -> tuple[Organisation | None, list[Cohort]]:
    organisation = (
        await uow.session.get(Organisation, profile.organisation_id)
        if profile.organisation_id
        else None
    )
    cohorts = (
        await uow.session.scalars(
            select(Cohort)
            .join(CohortMembership, CohortMembership.cohort_id == Cohort.id)
            .where(CohortMembership.member_id == profile.member_id)
            .order_by(Cohort.year, Cohort.name)
        )
    ).all()
    return organisation, list(cohorts)


async def profile_changed(uow: UnitOfWork, profile: Profile, *, first_time: bool = False) -> None:
    """After any change: rebuild the search entry and, if listed, tell the other services."""
    await uow.session.flush()
    await search_index.refresh_search_index(uow.session, profile.member_id)
    if is_listed(profile):
        organisation, cohorts = await organisation_and_cohorts(uow, profile)
        await events.publish_profile_changed(
            uow, profile, organisation, cohorts, first_time=first_time
        )
        await events.publish_public_entry(uow, profile, organisation, profile.updated_at)

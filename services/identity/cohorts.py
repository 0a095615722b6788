"""Cohort handlers: the yearly programme cohorts and who is in them. The caller commits."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import delete, select

from contracts.events.identity import (
    CohortCreatedV1,
    CohortUpdatedV1,
    MemberJoinedCohortV1,
    MemberLeftCohortV1,
    PublicCohortCreatedV1,
    PublicCohortUpdatedV1,
)
from services.chassis.database import UnitOfWork
from services.identity.adapters.orm import Cohort, CohortMembership, Member
from services.identity.domain import commands
from services.identity.domain.errors import CohortExists, CohortNotFound, MemberNotFound, NotAllowed
from services.identity.domain.model import MemberStatus
from services.identity.handlers import audit


def is_alumni_cohort(cohort: Cohort, today: date) -> bool:
    """Members of a cohort that has ended are its alumni; nothing else changes for them."""
    return cohort.ends_on < today


async def create_cohort(command: commands.CreateCohort, uow: UnitOfWork) -> Cohort:
    if command.ends_on <= command.starts_on:
        raise NotAllowed("A cohort must end after it starts.")
    if await uow.session.scalar(select(Cohort.id).where(Cohort.name == command.name)):
        raise CohortExists(command.name)
    cohort = Cohort(
        id=uuid.uuid4(),
        name=command.name,
        year=command.year,
        starts_on=command.starts_on,
        ends_on=command.ends_on,
    )
    uow.session.add(cohort)
    audit(uow, command.actor, "cohort.created", None, cohort_id=str(cohort.id), name=cohort.name)
    await uow.publish(
        CohortCreatedV1(
            cohort_id=cohort.id,
            name=cohort.name,
            year=cohort.year,
            starts_on=cohort.starts_on,
            ends_on=cohort.ends_on,
        )
    )
    await uow.publish(
        PublicCohortCreatedV1(
            cohort_id=cohort.id,
            name=cohort.name,
            year=cohort.year,
            starts_on=cohort.starts_on,
            ends_on=cohort.ends_on,
        )
    )
    return cohort


async def update_cohort(command: commands.UpdateCohort, uow: UnitOfWork) -> Cohort:
    """Returns the cohort; publishes (internal and public) only when something changed."""
    if command.ends_on <= command.starts_on:
        raise NotAllowed("A cohort must end after it starts.")
    cohort = await uow.session.get(Cohort, command.cohort_id, with_for_update=True)
    if cohort is None:
        raise CohortNotFound()
    if await uow.session.scalar(
        select(Cohort.id).where(Cohort.name == command.name, Cohort.id != cohort.id)
    ):
        raise CohortExists(command.name)
    wanted = {
        "name": command.name,
        "year": command.year,
        "starts_on": command.starts_on,
        "ends_on": command.ends_on,
    }
    changed = sorted(key for key, value in wanted.items() if getattr(cohort, key) != value)
    if not changed:
        return cohort
    for key, value in wanted.items():
        setattr(cohort, key, value)
    audit(uow, command.actor, "cohort.updated", None, cohort_id=str(cohort.id), changed=changed)
    snapshot = {"cohort_id": cohort.id, **wanted}
    await uow.publish(CohortUpdatedV1(**snapshot))
    await uow.publish(PublicCohortUpdatedV1(**snapshot))
    return cohort


async def _cohort(uow: UnitOfWork, cohort_id: uuid.UUID) -> Cohort:
    cohort = await uow.session.get(Cohort, cohort_id)
    if cohort is None:
        raise CohortNotFound()
    return cohort


async def add_to_cohort(command: commands.AddToCohort, uow: UnitOfWork) -> bool:
    """Returns False when the member was already in the cohort (nothing published)."""
    cohort = await _cohort(uow, command.cohort_id)
    member = await uow.session.get(Member, command.member_id)
    if member is None:
        raise MemberNotFound()
    if member.status in (MemberStatus.ERASED, MemberStatus.DEACTIVATED):
        raise NotAllowed(f"The member is {member.status}.")
    if await uow.session.get(CohortMembership, (cohort.id, member.id)) is not None:
        return False
    uow.session.add(CohortMembership(cohort_id=cohort.id, member_id=member.id))
    audit(uow, command.actor, "cohort.member_added", member.id, cohort_id=str(cohort.id))
    await uow.publish(
        MemberJoinedCohortV1(
            member_id=member.id,
            cohort_id=cohort.id,
            cohort_year=cohort.year,
            cohort_name=cohort.name,
        )
    )
    return True


async def remove_from_cohort(command: commands.RemoveFromCohort, uow: UnitOfWork) -> None:
    cohort = await _cohort(uow, command.cohort_id)
    result = await uow.session.execute(
        delete(CohortMembership).where(
            CohortMembership.cohort_id == cohort.id,
            CohortMembership.member_id == command.member_id,
        )
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        raise MemberNotFound()
    audit(uow, command.actor, "cohort.member_removed", command.member_id, cohort_id=str(cohort.id))
    await uow.publish(MemberLeftCohortV1(member_id=command.member_id, cohort_id=cohort.id))

"""Cohorts: the yearly programme cohorts and who is in them."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select

from services.chassis.database import UnitOfWork
from services.identity import events
from services.identity.adapters.audit_log import audit
from services.identity.adapters.orm import Cohort, CohortMembership, Member
from services.identity.domain import commands
from services.identity.domain.errors import CohortExists, CohortNotFound, MemberNotFound, NotAllowed
from services.identity.domain.model import MemberStatus, check_cohort_dates


async def create_cohort(command: commands.CreateCohort, uow: UnitOfWork) -> Cohort:
    check_cohort_dates(command.starts_on, command.ends_on)
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
    for event in events.cohort_created(cohort):
        await uow.publish(event)
    return cohort


async def update_cohort(command: commands.UpdateCohort, uow: UnitOfWork) -> Cohort:
    """Returns the cohort; publishes (internal and public) only when something changed."""
    check_cohort_dates(command.starts_on, command.ends_on)
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
    for event in events.cohort_updated(cohort):
        await uow.publish(event)
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
    await uow.publish(events.member_joined_cohort(member, cohort))
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
    await uow.publish(events.member_left_cohort(command.member_id, cohort))

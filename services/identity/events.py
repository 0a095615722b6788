"""The integration events identity publishes, built from its rows (contracts/events/identity.py).

A cohort's change is published twice: the internal event for Convene's services, and its
public twin for departments, built from it (`twin_of`) so that the two never drift apart.
Handlers publish what these return, in their unit of work.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from contracts.events.identity import (
    CohortCreatedV1,
    CohortUpdatedV1,
    MemberActivatedV1,
    MemberDeactivatedV1,
    MemberErasedV1,
    MemberInvitedV1,
    MemberJoinedCohortV1,
    MemberLeftCohortV1,
    MemberRoleChangedV1,
    PublicCohortCreatedV1,
    PublicCohortUpdatedV1,
)
from services.identity.adapters.orm import Cohort, Invitation, Member

# -- members -------------------------------------------------------------------------------


def member_invited(member: Member, invitation: Invitation) -> MemberInvitedV1:
    return MemberInvitedV1(
        member_id=member.id,
        invitation_id=invitation.id,
        full_name=member.full_name or "",
        email=member.email or "",
        organisation=member.organisation or "",
        invited_at=invitation.created_at,
        expires_at=invitation.expires_at,
    )


def member_activated(member: Member, *, at: datetime) -> MemberActivatedV1:
    return MemberActivatedV1(
        member_id=member.id,
        full_name=member.full_name or "",
        email=member.email or "",
        organisation=member.organisation or "",
        roles=sorted(member.roles),
        activated_at=at,
    )


def member_role_changed(member: Member, *, by: str, at: datetime) -> MemberRoleChangedV1:
    return MemberRoleChangedV1(
        member_id=member.id, roles=sorted(member.roles), changed_by=by, changed_at=at
    )


def member_deactivated(member: Member, *, by: str, at: datetime) -> MemberDeactivatedV1:
    return MemberDeactivatedV1(member_id=member.id, deactivated_by=by, deactivated_at=at)


def member_erased(member: Member, *, at: datetime) -> MemberErasedV1:
    return MemberErasedV1(member_id=member.id, erased_at=at)


def member_joined_cohort(member: Member, cohort: Cohort) -> MemberJoinedCohortV1:
    return MemberJoinedCohortV1(
        member_id=member.id, cohort_id=cohort.id, cohort_year=cohort.year, cohort_name=cohort.name
    )


def member_left_cohort(member_id: UUID, cohort: Cohort) -> MemberLeftCohortV1:
    return MemberLeftCohortV1(member_id=member_id, cohort_id=cohort.id)


# -- cohorts (each with its public twin) ---------------------------------------------------


def _cohort_fields(cohort: Cohort) -> dict[str, Any]:
    return {
        "cohort_id": cohort.id,
        "name": cohort.name,
        "year": cohort.year,
        "starts_on": cohort.starts_on,
        "ends_on": cohort.ends_on,
    }


def cohort_created(cohort: Cohort) -> tuple[CohortCreatedV1, PublicCohortCreatedV1]:
    created = CohortCreatedV1(**_cohort_fields(cohort))
    return created, PublicCohortCreatedV1.twin_of(created)


def cohort_updated(cohort: Cohort) -> tuple[CohortUpdatedV1, PublicCohortUpdatedV1]:
    updated = CohortUpdatedV1(**_cohort_fields(cohort))
    return updated, PublicCohortUpdatedV1.twin_of(updated)

"""Events published by the identity service.

Member events are internal. Cohorts have an internal event (`identity.cohort.v1`) and a public
one (`public.identity.cohort.v1`, issue 9) that never names a member.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar
from uuid import UUID

from pydantic import EmailStr, Field

from contracts.base import IntegrationEvent

MEMBER_TOPIC = "identity.member.v1"


class MemberInvitedV1(IntegrationEvent):
    """A programme admin invited a person to join Convene.

    Internal: carries the invitee's name and email, which only Convene services may hold.
    """

    event_type: ClassVar[str] = "identity.member.invited.v1"
    topic: ClassVar[str] = MEMBER_TOPIC
    subject_field: ClassVar[str] = "member_id"

    member_id: UUID = Field(description="The member id the invitee will have once they sign in.")
    invitation_id: UUID
    full_name: str = Field(min_length=1, max_length=200)
    email: EmailStr
    organisation: str = Field(min_length=1, max_length=200)
    invited_at: datetime
    expires_at: datetime


class _MemberEvent(IntegrationEvent):
    topic: ClassVar[str] = MEMBER_TOPIC
    subject_field: ClassVar[str] = "member_id"

    member_id: UUID


class MemberActivatedV1(_MemberEvent):
    """An invited member signed in for the first time; their membership is now active."""

    event_type: ClassVar[str] = "identity.member.activated.v1"

    full_name: str = Field(min_length=1, max_length=200)
    email: EmailStr
    organisation: str = Field(min_length=1, max_length=200)
    roles: list[str]
    activated_at: datetime


class MemberRoleChangedV1(_MemberEvent):
    """A programme admin changed a member's roles; `roles` is the complete new set."""

    event_type: ClassVar[str] = "identity.member.role_changed.v1"

    roles: list[str]
    changed_by: str
    changed_at: datetime


class MemberDeactivatedV1(_MemberEvent):
    """A member can no longer sign in; their data stays (unlike erasure)."""

    event_type: ClassVar[str] = "identity.member.deactivated.v1"

    deactivated_by: str
    deactivated_at: datetime


class MemberErasedV1(_MemberEvent):
    """A member's personal data was erased (UK GDPR right to erasure).

    Every service must delete or anonymise what it holds about `member_id` on receipt.
    """

    event_type: ClassVar[str] = "identity.member.erased.v1"

    erased_at: datetime


class MemberJoinedCohortV1(_MemberEvent):
    """A member joined a programme cohort (keyed by member, so a member's changes stay ordered)."""

    event_type: ClassVar[str] = "identity.member.cohort_joined.v1"

    cohort_id: UUID
    cohort_year: int = Field(ge=2000, le=2100)
    cohort_name: str


class MemberLeftCohortV1(_MemberEvent):
    """A member was removed from a cohort (not the same as becoming alumni when it ends)."""

    event_type: ClassVar[str] = "identity.member.cohort_left.v1"

    cohort_id: UUID


class _CohortSnapshot(IntegrationEvent):
    subject_field: ClassVar[str] = "cohort_id"

    cohort_id: UUID
    name: str = Field(min_length=1, max_length=120)
    year: int = Field(ge=2000, le=2100)
    starts_on: date
    ends_on: date


class CohortCreatedV1(_CohortSnapshot):
    """A programme cohort exists. Its members become alumni after `ends_on`."""

    event_type: ClassVar[str] = "identity.cohort.created.v1"
    topic: ClassVar[str] = "identity.cohort.v1"


class CohortUpdatedV1(_CohortSnapshot):
    """A programme admin changed a cohort's name, year or dates; the whole new snapshot."""

    event_type: ClassVar[str] = "identity.cohort.updated.v1"
    topic: ClassVar[str] = "identity.cohort.v1"


PUBLIC_COHORT_TOPIC = "public.identity.cohort.v1"


class _PublicCohortEvent(_CohortSnapshot):
    topic: ClassVar[str] = PUBLIC_COHORT_TOPIC
    public: ClassVar[bool] = True


class PublicCohortCreatedV1(_PublicCohortEvent):
    """A programme cohort exists: its name, year and dates. Public; never who is in it.

    Not its size either: a count moving by one would tell when someone joined or left.
    """

    event_type: ClassVar[str] = "public.identity.cohort.created.v1"


class PublicCohortUpdatedV1(_PublicCohortEvent):
    """A cohort's name, year or dates changed; the whole new snapshot. Public."""

    event_type: ClassVar[str] = "public.identity.cohort.updated.v1"

"""What the directory can be asked to do (imperative names; one handler each)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID


@dataclass(frozen=True)
class Actor:
    """Who is asking: a member acting for themselves, or a delegate acting for a principal."""

    member_id: UUID
    is_admin: bool = False


@dataclass(frozen=True)
class CreateDraftProfile:
    member_id: UUID
    full_name: str
    organisation: str
    email: str | None = None


@dataclass(frozen=True)
class UpdateProfile:
    member_id: UUID
    actor: Actor
    #: Only the fields the caller sent; `visibility` is a partial PrivateField -> Visibility map.
    changes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PublishProfile:
    member_id: UUID
    actor: Actor


@dataclass(frozen=True)
class UnpublishProfile:
    member_id: UUID
    actor: Actor


@dataclass(frozen=True)
class ConfirmProfile:
    """The owner says the profile is still right; it stops being stale for another 12 months."""

    member_id: UUID
    actor: Actor


@dataclass(frozen=True)
class DeactivateMember:
    member_id: UUID


@dataclass(frozen=True)
class RemoveProfile:
    """Erasure: everything the directory holds about the member goes."""

    member_id: UUID


@dataclass(frozen=True)
class RecordCohort:
    cohort_id: UUID
    name: str
    year: int


@dataclass(frozen=True)
class JoinCohort:
    member_id: UUID
    cohort_id: UUID
    cohort_name: str
    cohort_year: int


@dataclass(frozen=True)
class LeaveCohort:
    member_id: UUID
    cohort_id: UUID


@dataclass(frozen=True)
class AddOrganisation:
    name: str
    type: str
    parent_id: UUID | None
    added_by: str


@dataclass(frozen=True)
class UpdateOrganisation:
    organisation_id: UUID
    name: str
    type: str
    parent_id: UUID | None
    changed_by: str


@dataclass(frozen=True)
class AddExpertiseTag:
    slug: str
    label: str
    added_by: str


@dataclass(frozen=True)
class SendContactRequest:
    requester_id: UUID
    recipient_id: UUID
    reason: str
    actor: Actor


@dataclass(frozen=True)
class DecideContactRequest:
    request_id: UUID
    accept: bool
    actor: Actor


@dataclass(frozen=True)
class BlockMember:
    blocker_id: UUID
    blocked_id: UUID
    actor: Actor


@dataclass(frozen=True)
class UnblockMember:
    blocker_id: UUID
    blocked_id: UUID
    actor: Actor


@dataclass(frozen=True)
class NameDelegate:
    principal_id: UUID
    delegate_id: UUID
    actor: Actor


@dataclass(frozen=True)
class RemoveDelegate:
    principal_id: UUID
    delegate_id: UUID
    actor: Actor


@dataclass(frozen=True)
class ReportProfile:
    member_id: UUID
    reporter_id: UUID
    kind: str
    note: str


@dataclass(frozen=True)
class ResolveReport:
    report_id: UUID


@dataclass(frozen=True)
class RecordProfileView:
    profile_id: UUID
    viewer_id: UUID
    viewer_is_admin: bool


@dataclass(frozen=True)
class UploadPhoto:
    member_id: UUID
    actor: Actor
    data: bytes


@dataclass(frozen=True)
class RemovePhoto:
    member_id: UUID
    actor: Actor


@dataclass(frozen=True)
class FlagStaleProfiles:
    """Mark profiles not confirmed for 12 months as stale and nudge their owners once."""

    now: datetime


@dataclass(frozen=True)
class ExpireContactRequests:
    now: datetime

"""What content can be asked to do (imperative names; one handler each)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from services.content.domain.model import Actor


@dataclass(frozen=True)
class ItemFields:
    """Everything a curator writes about an item; kind-specific fields are None elsewhere."""

    kind: str
    title: str
    summary: str
    body_markdown: str
    topics: list[str]
    sectors: list[str]
    expertise: list[str]
    regions: list[str]
    audience: str
    audience_cohort_ids: list[UUID]
    audience_sectors: list[str]
    shared_with_departments: bool = False
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    place: str | None = None
    online_url: str | None = None
    capacity: int | None = None
    link_url: str | None = None
    document_type: str | None = None
    document_size_bytes: int | None = None
    offer_type: str | None = None
    how_to_join: str | None = None


@dataclass(frozen=True)
class CreateItem:
    fields: ItemFields
    actor: Actor


@dataclass(frozen=True)
class EditItem:
    """Change a draft, or update a published item (which publishes `content.item.updated`)."""

    item_id: UUID
    fields: ItemFields
    actor: Actor


@dataclass(frozen=True)
class MoveItem:
    """One workflow step (submit, return, approve, publish, schedule, unschedule, withdraw)."""

    item_id: UUID
    action: str
    actor: Actor
    publish_at: datetime | None = None
    note: str | None = None


@dataclass(frozen=True)
class PublishDueItems:
    """Publish every scheduled item whose time has come (the scheduler's tick)."""

    now: datetime
    limit: int = 100


@dataclass(frozen=True)
class AttachDocument:
    """Store a resource's document (an upload), replacing any earlier one."""

    item_id: UUID
    actor: Actor
    filename: str
    content_type: str
    data: bytes
    #: What the upload's content type makes it: pdf, docx, ...
    document_type: str


@dataclass(frozen=True)
class CreateTopic:
    name: str
    description: str
    actor: str
    slug: str | None = None


@dataclass(frozen=True)
class RecordMember:
    """Identity says a member exists (activated): who they are and where to email them."""

    member_id: UUID
    full_name: str
    email: str


@dataclass(frozen=True)
class DeactivateMember:
    member_id: UUID


@dataclass(frozen=True)
class EraseMember:
    member_id: UUID


@dataclass(frozen=True)
class JoinCohort:
    member_id: UUID
    cohort_id: UUID
    cohort_name: str


@dataclass(frozen=True)
class LeaveCohort:
    member_id: UUID
    cohort_id: UUID


@dataclass(frozen=True)
class NameCohort:
    cohort_id: UUID
    name: str


@dataclass(frozen=True)
class SetProfile:
    """Sector, region and expertise for personalisation.

    `source="directory"` when a directory profile event says so; `source="member"` when the
    member sets it themselves (the fallback until directory publishes profiles). Once the
    directory has spoken, a member's own setting is refused.
    """

    member_id: UUID
    sector: str | None
    region: str | None
    expertise: list[str] = field(default_factory=list)
    source: str = "member"


@dataclass(frozen=True)
class SetTopicPreference:
    member_id: UUID
    topic: str
    #: "follow", "mute" or None to clear.
    mode: str | None


@dataclass(frozen=True)
class RecordRead:
    member_id: UUID
    item_id: UUID


@dataclass(frozen=True)
class Rsvp:
    member_id: UUID
    item_id: UUID


@dataclass(frozen=True)
class CancelRsvp:
    member_id: UUID
    item_id: UUID


@dataclass(frozen=True)
class SetDigestPreference:
    member_id: UUID
    weekly: bool


@dataclass(frozen=True)
class Unsubscribe:
    token: str


@dataclass(frozen=True)
class IssueFeedToken:
    member_id: UUID


@dataclass(frozen=True)
class RevokeFeedToken:
    member_id: UUID


@dataclass(frozen=True)
class BuildDigests:
    """Build a batch of this ISO week's digests: for members who want one and have none yet,
    queue one with what is new for them (one builder's transaction)."""

    week: str
    now: datetime
    #: Members claimed in one transaction.
    limit: int = 100

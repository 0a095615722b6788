"""Content's API schemas, named for their use."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, HttpUrl

Tag = str
TagList = list[Tag]
DocumentType = Literal["pdf", "docx", "xlsx", "pptx", "odt", "ods", "odp", "csv", "txt", "html"]


class ItemWrite(BaseModel):
    """An item as a curator writes it. Fields of other kinds must be left out."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: Literal["article", "event", "resource", "support_offer"]
    title: str = Field(min_length=1, max_length=200)
    summary: str = Field(default="", max_length=600)
    body_markdown: str = Field(
        default="", max_length=100_000, description="Markdown; raw HTML is shown as text"
    )
    topics: list[str] = Field(default_factory=list, max_length=10, description="Topic slugs")
    sectors: list[str] = Field(default_factory=list, max_length=20)
    expertise: list[str] = Field(default_factory=list, max_length=20)
    regions: list[str] = Field(default_factory=list, max_length=20)
    audience: Literal["everyone", "cohorts", "sectors"] = "everyone"
    audience_cohort_ids: list[UUID] = Field(default_factory=list, max_length=50)
    audience_sectors: list[str] = Field(default_factory=list, max_length=20)
    shared_with_departments: bool = Field(
        default=False,
        description="Tell other departments when it is published, updated or withdrawn "
        "(public.content.item.v1). Only for audience everyone.",
    )
    # event
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    place: str | None = Field(default=None, max_length=300)
    online_url: HttpUrl | None = None
    capacity: int | None = Field(default=None, ge=1, le=100_000)
    # resource
    link_url: HttpUrl | None = None
    document_type: DocumentType | None = None
    document_size_bytes: int | None = Field(default=None, ge=1, le=1_000_000_000)
    # support offer
    offer_type: Literal["coaching", "mentoring", "peer_group", "masterclass", "other"] | None = None
    how_to_join: str | None = Field(default=None, max_length=600)


class ItemRead(BaseModel):
    """An item as curators see it (every field, its status and version)."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID
    kind: str
    status: str
    title: str
    summary: str
    body_markdown: str
    body_html: str = Field(description="Sanitised HTML rendering of body_markdown")
    topics: list[str]
    sectors: list[str]
    expertise: list[str]
    regions: list[str]
    audience: str
    audience_cohort_ids: list[UUID]
    audience_sectors: list[str]
    shared_with_departments: bool
    starts_at: datetime | None
    ends_at: datetime | None
    place: str | None
    online_url: str | None
    capacity: int | None
    link_url: str | None
    document_type: str | None
    document_size_bytes: int | None
    offer_type: str | None
    how_to_join: str | None
    author_id: str
    approved_by: str | None
    publish_at: datetime | None
    published_at: datetime | None
    updated_at: datetime
    withdrawn_at: datetime | None
    created_at: datetime
    version: int


class PublishedItemRead(BaseModel):
    """A published item as members see it."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID
    kind: str
    title: str
    summary: str
    body_html: str
    topics: list[str]
    sectors: list[str]
    expertise: list[str]
    regions: list[str]
    audience: str
    starts_at: datetime | None
    ends_at: datetime | None
    place: str | None
    online_url: str | None
    capacity: int | None
    link_url: str | None
    document_type: str | None
    document_size_bytes: int | None
    offer_type: str | None
    how_to_join: str | None
    published_at: datetime | None
    updated_at: datetime
    version: int


class ItemSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    kind: str
    title: str
    summary: str
    topics: list[str]
    starts_at: datetime | None
    published_at: datetime | None


class ItemPage(BaseModel):
    items: list[ItemRead]
    next_cursor: str | None = None


class WorkflowStep(BaseModel):
    model_config = ConfigDict(extra="forbid")

    #: publish only: a future time schedules the item instead of publishing it now.
    publish_at: AwareDatetime | None = None
    #: return and withdraw: why (kept in the audit log; a withdrawal's reason is in its event).
    note: str | None = Field(default=None, max_length=500)


class AuditEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    actor: str
    action: str
    from_status: str | None
    to_status: str
    details: dict[str, object]


class FeedEntryRead(BaseModel):
    item: ItemSummary
    score: float
    reasons: list[str] = Field(description='Why it is shown, e.g. "because you work in ..."')
    read: bool


class FeedPage(BaseModel):
    items: list[FeedEntryRead]
    next_cursor: str | None = None


class SearchPage(BaseModel):
    items: list[ItemSummary]
    next_cursor: str | None = None


class TopicCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=120)
    slug: str | None = Field(default=None, max_length=80, pattern=r"^[a-z0-9-]+$")
    description: str = Field(default="", max_length=600)


class TopicRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    slug: str
    name: str
    description: str


class TopicPreferenceWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: Literal["follow", "mute"]


class TopicPreferenceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    topic: str
    mode: str


class ProfileWrite(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    sector: str | None = Field(default=None, max_length=80, examples=["local-government"])
    region: str | None = Field(default=None, max_length=80, examples=["north-west"])
    expertise: list[str] = Field(default_factory=list, max_length=20)


class ProfileRead(BaseModel):
    sector: str | None
    region: str | None
    expertise: list[str]
    source: str
    cohorts: list[str]


class DigestPreference(BaseModel):
    model_config = ConfigDict(extra="forbid")

    weekly: bool


class DigestRunCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    week: str | None = Field(default=None, pattern=r"^\d{4}-W\d{2}$", examples=["2026-W48"])


class DigestRunRead(BaseModel):
    week: str
    members: int
    queued: int


class FeedTokenRead(BaseModel):
    token: str = Field(description="Shown once; put it in your feed reader's address")
    example_feed: str


class RsvpRead(BaseModel):
    item_id: UUID
    status: Literal["confirmed", "waitlisted", "cancelled"]
    waiting_list_position: int | None = None
    places_taken: int
    capacity: int | None


class AttendeeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    member_id: UUID
    status: str
    requested_at: datetime

"""Events published by the content service.

The internal events travel on `content.item.v1`, keyed by item id, so one item's history stays
in order: an item may be meant for one cohort or sector only, and its audience is part of the
event. The public events for other departments (issue 9) travel on `public.content.item.v1`:
only items a curator shared with departments (possible only when their audience is everyone),
with no audience, tags about people or curator ids.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from contracts.base import IntegrationEvent

ITEM_TOPIC = "content.item.v1"
PUBLIC_ITEM_TOPIC = "public.content.item.v1"

ItemKind = Literal["article", "event", "resource", "support_offer"]


class ItemAudienceV1(BaseModel):
    """Who may see an item. `everyone`: every member; otherwise members of one of the cohorts,
    or members working in one of the sectors."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    kind: Literal["everyone", "cohorts", "sectors"]
    cohort_ids: list[UUID] = Field(default_factory=list)
    sectors: list[str] = Field(default_factory=list)


class _ItemEvent(IntegrationEvent):
    topic: ClassVar[str] = ITEM_TOPIC
    subject_field: ClassVar[str] = "item_id"

    item_id: UUID
    #: Increases by one with each published change; a reader keeps the highest it has seen.
    version: int = Field(ge=1)


class _ItemSnapshot(_ItemEvent):
    kind: ItemKind
    title: str = Field(min_length=1, max_length=200)
    summary: str = Field(max_length=600)
    topics: list[str] = Field(description="Topic slugs")
    sectors: list[str] = Field(description="Sector tags (slugs), e.g. local-government")
    expertise: list[str] = Field(description="Expertise tags (slugs)")
    regions: list[str] = Field(description="Region tags (slugs)")
    audience: ItemAudienceV1
    published_at: datetime
    #: Events only: when it starts and ends (UTC).
    starts_at: datetime | None = None
    ends_at: datetime | None = None


class ContentItemPublishedV1(_ItemSnapshot):
    """An approved item became visible to its audience (immediately or at its scheduled time)."""

    event_type: ClassVar[str] = "content.item.published.v1"


class ContentItemUpdatedV1(_ItemSnapshot):
    """A published item changed; the event carries the whole new snapshot."""

    event_type: ClassVar[str] = "content.item.updated.v1"

    updated_at: datetime


class ContentItemWithdrawnV1(_ItemEvent):
    """A published (or scheduled) item was withdrawn: readers must stop showing it."""

    event_type: ClassVar[str] = "content.item.withdrawn.v1"

    withdrawn_at: datetime
    reason: str = Field(max_length=500)


# -- public (issue 9) -------------------------------------------------------------------------


class _PublicItemEvent(IntegrationEvent):
    topic: ClassVar[str] = PUBLIC_ITEM_TOPIC
    public: ClassVar[bool] = True
    subject_field: ClassVar[str] = "item_id"

    item_id: UUID
    #: The item's version (as in the internal events); a reader keeps the highest it has seen.
    version: int = Field(ge=1)


class _PublicItemSnapshot(_PublicItemEvent):
    kind: ItemKind
    title: str = Field(min_length=1, max_length=200)
    summary: str = Field(max_length=600)
    url: str = Field(description="Where the item is read in Convene (members sign in there).")
    topics: list[str] = Field(description="Topic slugs")
    published_at: datetime
    #: Events only: when it starts and ends (UTC).
    starts_at: datetime | None = None
    ends_at: datetime | None = None


class PublicContentItemPublishedV1(_PublicItemSnapshot):
    """An item shared with departments is published (or a published item became shared)."""

    event_type: ClassVar[str] = "public.content.item.published.v1"


class PublicContentItemUpdatedV1(_PublicItemSnapshot):
    """A shared, published item changed; the whole new snapshot."""

    event_type: ClassVar[str] = "public.content.item.updated.v1"

    updated_at: datetime


class PublicContentItemWithdrawnV1(_PublicItemEvent):
    """A shared item was withdrawn, or is no longer shared with departments: stop showing it."""

    event_type: ClassVar[str] = "public.content.item.withdrawn.v1"

    withdrawn_at: datetime

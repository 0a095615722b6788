"""API schemas for endpoints, the delivery log, dead letters, replay and the pull feed."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, Field

from services.subscriptions.adapters.webhook_targets import MAX_URL_LENGTH

#: More types than any department needs; a guard against oversized registrations.
MAX_EVENT_TYPES = 50


class EndpointCreate(BaseModel):
    url: str = Field(min_length=1, max_length=MAX_URL_LENGTH, description="https:// URL")
    event_types: list[str] = Field(min_length=1, max_length=MAX_EVENT_TYPES)
    description: str = Field(default="", max_length=500)


class EndpointRead(BaseModel):
    id: UUID
    subscriber: str
    url: str
    description: str
    event_types: list[str]
    #: `pending` until the endpoint echoes the signed challenge, then `active`.
    status: str
    created_at: datetime
    verified_at: datetime | None
    #: Deliveries by state (pending, delivered, parked, dropped); on single reads only.
    deliveries: dict[str, int] | None = None


class EndpointSecret(BaseModel):
    """The signing secret: shown when the endpoint is created and when it is rotated."""

    endpoint: EndpointRead
    secret: str = Field(description="`whsec_...`: verify `webhook-signature` with it")
    #: After a rotation, deliveries are also signed with the previous secret until then.
    previous_secret_valid_until: datetime | None = None


class AttemptRead(BaseModel):
    id: int
    delivery_id: int
    event_id: str
    event_type: str
    attempt: int
    status_code: int | None
    latency_ms: int
    error: str | None
    at: datetime


class AttemptPage(BaseModel):
    items: list[AttemptRead]
    #: Pass as `before` for older entries; absent on the last page.
    next_before: int | None = None


class ParkedRead(BaseModel):
    delivery_id: int
    attempts: int
    last_status: int | None
    last_error: str | None
    parked_at: datetime | None
    event: dict[str, Any]


class ParkedPage(BaseModel):
    items: list[ParkedRead]
    next_after: int | None = None


class Redelivered(BaseModel):
    queued: int


class ReplayRequest(BaseModel):
    since: AwareDatetime = Field(description="Replay events received at or after this time")


class FeedRead(BaseModel):
    events: list[dict[str, Any]]
    #: Pass as `after` to read on; present even when `events` is empty, so poll with it.
    next_cursor: str

"""What subscriptions can be asked to do (imperative names; one handler each)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID


@dataclass(frozen=True)
class RecordPublicEvent:
    """Append a public event to the log and queue its deliveries (from the consumer)."""

    event_id: str
    event_type: str
    source: str
    subject: str
    time: datetime
    data: dict[str, Any]
    traceparent: str | None


@dataclass(frozen=True)
class RememberSubscriber:
    """Keep the scopes of a department's newest token."""

    subject: str
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class RegisterEndpoint:
    subscriber: str
    #: The scopes of the registering token: every event type must be granted by one.
    scopes: tuple[str, ...]
    url: str
    event_types: tuple[str, ...]
    description: str


@dataclass(frozen=True)
class RemoveEndpoint:
    endpoint_id: UUID
    subscriber: str


@dataclass(frozen=True)
class VerifyEndpoint:
    """Send the signed challenge; the endpoint is active once it echoes it."""

    endpoint_id: UUID
    subscriber: str


@dataclass(frozen=True)
class RotateSecret:
    endpoint_id: UUID
    subscriber: str


@dataclass(frozen=True)
class RedeliverParked:
    """Send parked deliveries again: one, or every one when `delivery_id` is None."""

    endpoint_id: UUID
    subscriber: str
    delivery_id: int | None


@dataclass(frozen=True)
class ReplayEvents:
    """Queue again every retained event since `since` the endpoint wants and `scopes` grant."""

    endpoint_id: UUID
    subscriber: str
    scopes: tuple[str, ...]
    since: datetime

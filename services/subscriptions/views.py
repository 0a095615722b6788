"""Read-side queries: the pull feed, endpoints, the delivery log and dead letters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.envelope import CONTENT_TYPE, SPEC_VERSION
from services.subscriptions.adapters.orm import Delivery, DeliveryAttempt, Endpoint, PublicEvent
from services.subscriptions.domain.cursors import FeedPosition
from services.subscriptions.domain.errors import BeyondRetention, EndpointNotFound


class LoggedEvent(Protocol):
    """What a CloudEvent is built from: a `public_events` row, as an entity or a plain row."""

    event_id: str
    source: str
    event_type: str
    time: datetime
    subject: str
    data: dict[str, Any]
    traceparent: str | None


def cloud_event(event: LoggedEvent) -> dict[str, Any]:
    """The event in CloudEvents 1.0 JSON (structured mode): the pull feed's and webhooks' body."""
    body: dict[str, Any] = {
        "specversion": SPEC_VERSION,
        "id": event.event_id,
        "source": event.source,
        "type": event.event_type,
        "time": event.time.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "subject": event.subject,
        "datacontenttype": CONTENT_TYPE,
        "data": event.data,
    }
    if event.traceparent:
        body["traceparent"] = event.traceparent
    return body


@dataclass(frozen=True)
class FeedPage:
    events: list[PublicEvent]
    #: Where the next request starts; present even on an empty page, so polling never rereads.
    next_position: FeedPosition


async def feed_page(
    session: AsyncSession,
    *,
    types: Sequence[str],
    after: FeedPosition | None,
    since: datetime | None,
    limit: int,
    retention: timedelta,
) -> FeedPage:
    """Events of `types` after a position (or from a time), in log order.

    The log's sequence grows in commit order (see orm.py), so everything at or below the
    highest sequence read first is already visible: a page never skips a late commit.
    """
    horizon = datetime.now(UTC) - retention
    if (after is not None and after.time < horizon) or (since is not None and since < horizon):
        raise BeyondRetention(
            f"Events are kept for {retention.total_seconds() / 3600:g} hours; that point is "
            "older. Start again without `after`, or with a later `since`."
        )
    top = (
        await session.execute(
            select(PublicEvent.sequence, PublicEvent.received_at)
            .order_by(PublicEvent.sequence.desc())
            .limit(1)
        )
    ).first()
    if top is None:
        return FeedPage([], after or FeedPosition(0, datetime.now(UTC)))
    query = (
        select(PublicEvent)
        .where(PublicEvent.sequence <= top.sequence, PublicEvent.event_type.in_(list(types)))
        .order_by(PublicEvent.sequence)
        .limit(limit)
    )
    if after is not None:
        query = query.where(PublicEvent.sequence > after.sequence)
    if since is not None:
        query = query.where(PublicEvent.received_at >= since)
    events = list((await session.scalars(query)).all())
    if events:
        return FeedPage(events, FeedPosition(events[-1].sequence, events[-1].received_at))
    if after is not None and since is None and after.sequence >= top.sequence:
        return FeedPage([], after)
    return FeedPage([], FeedPosition(top.sequence, top.received_at))


async def owned_endpoint(
    session: AsyncSession, endpoint_id: UUID, subscriber: str | None, *, lock: bool = False
) -> Endpoint:
    """The endpoint, if `subscriber` owns it (None: any, for programme admins); `lock` takes
    its row lock for a change. Raises EndpointNotFound otherwise."""
    endpoint = await session.get(Endpoint, endpoint_id, with_for_update=lock)
    if endpoint is None or (subscriber is not None and endpoint.subscriber != subscriber):
        raise EndpointNotFound()
    return endpoint


async def endpoints(session: AsyncSession, subscriber: str | None) -> list[Endpoint]:
    query = select(Endpoint).order_by(Endpoint.created_at.desc(), Endpoint.id)
    if subscriber is not None:
        query = query.where(Endpoint.subscriber == subscriber)
    return list((await session.scalars(query)).all())


async def delivery_counts(session: AsyncSession, endpoint_id: UUID) -> dict[str, int]:
    rows = await session.execute(
        select(Delivery.state, func.count())
        .where(Delivery.endpoint_id == endpoint_id)
        .group_by(Delivery.state)
    )
    return {state: count for state, count in rows.tuples()}


async def attempts(
    session: AsyncSession, endpoint_id: UUID, *, before: int | None, limit: int
) -> list[DeliveryAttempt]:
    """The endpoint's delivery log, newest first; page with `before` = the last id seen."""
    query = (
        select(DeliveryAttempt)
        .where(DeliveryAttempt.endpoint_id == endpoint_id)
        .order_by(DeliveryAttempt.id.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(DeliveryAttempt.id < before)
    return list((await session.scalars(query)).all())


async def parked(
    session: AsyncSession, endpoint_id: UUID, *, after: int | None, limit: int
) -> list[tuple[Delivery, PublicEvent]]:
    """The endpoint's dead-letter list, oldest first."""
    query = (
        select(Delivery, PublicEvent)
        .join(PublicEvent, PublicEvent.sequence == Delivery.sequence)
        .where(Delivery.endpoint_id == endpoint_id, Delivery.state == "parked")
        .order_by(Delivery.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(Delivery.id > after)
    return [(d, e) for d, e in (await session.execute(query)).tuples()]

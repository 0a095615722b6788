"""Commands: record public events (with their fan-out), manage endpoints, redeliver, replay.

Handlers change rows and never commit; the consumer's or the route's unit of work does.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert

from contracts import Envelope
from services.chassis.database import UnitOfWork
from services.subscriptions.adapters.orm import Delivery, Endpoint, PublicEvent, Subscriber
from services.subscriptions.domain import signatures
from services.subscriptions.domain.errors import (
    BeyondRetention,
    DeliveryNotFound,
    EndpointNotFound,
    TooManyEndpoints,
    VerificationFailed,
)
from services.subscriptions.domain.model import SCOPE_PREFIX

#: NOTIFY channel that wakes the dispatcher when deliveries are queued.
DELIVERIES_CHANNEL = "subscriptions_deliveries"
#: One writer at a time appends to the log, so sequence order is commit order (see orm.py).
_LOG_LOCK = "SELECT pg_advisory_xact_lock(hashtext('subscriptions-public-log'))"

_FAN_OUT = text(
    """
    INSERT INTO deliveries (endpoint_id, sequence, event_key, state, attempts)
    SELECT e.id, :sequence, :key, 'pending', 0
    FROM endpoints e JOIN subscribers s ON s.subject = e.subscriber
    WHERE e.status = 'active' AND :type = ANY(e.event_types) AND :scope = ANY(s.scopes)
    """
)


async def record_public_event(uow: UnitOfWork, envelope: Envelope) -> None:
    """Append the event to the log once (a redelivery changes nothing) and queue a delivery
    for every verified endpoint that wants its type and whose owner holds the scope."""
    session = uow.session
    await session.execute(text(_LOG_LOCK))
    sequence = (
        await session.execute(
            insert(PublicEvent)
            .values(
                event_id=envelope.id,
                event_type=envelope.type,
                source=envelope.source,
                subject=envelope.subject,
                time=envelope.time,
                data=envelope.data,
                traceparent=envelope.extra_headers.get("traceparent"),
            )
            .on_conflict_do_nothing(index_elements=["event_id"])
            .returning(PublicEvent.sequence)
        )
    ).scalar_one_or_none()
    if sequence is None:
        return
    queued = await session.execute(
        _FAN_OUT,
        {
            "sequence": sequence,
            "key": envelope.subject,
            "type": envelope.type,
            "scope": SCOPE_PREFIX + envelope.type,
        },
    )
    if getattr(queued, "rowcount", 0):
        await session.execute(
            text("SELECT pg_notify(:channel, '')"), {"channel": DELIVERIES_CHANNEL}
        )


async def remember_subscriber(uow: UnitOfWork, subject: str, scopes: Sequence[str]) -> None:
    """Keep the scopes of the subscriber's newest token: deliveries are checked against them,
    so a reduced scope stops webhooks as soon as the department uses its new token."""
    await uow.session.execute(
        insert(Subscriber)
        .values(subject=subject, scopes=sorted(scopes), seen_at=func.now())
        .on_conflict_do_update(
            index_elements=["subject"],
            set_={"scopes": sorted(scopes), "seen_at": func.now()},
        )
    )


async def register_endpoint(
    uow: UnitOfWork,
    *,
    subscriber: str,
    url: str,
    event_types: list[str],
    description: str,
    limit: int,
) -> Endpoint:
    count = await uow.session.scalar(
        select(func.count()).select_from(Endpoint).where(Endpoint.subscriber == subscriber)
    )
    if (count or 0) >= limit:
        raise TooManyEndpoints(f"A department may register at most {limit} endpoints.")
    endpoint = Endpoint(
        id=uuid.uuid4(),
        subscriber=subscriber,
        url=url,
        description=description,
        event_types=event_types,
        status="pending",
        secret=signatures.new_secret(),
    )
    uow.session.add(endpoint)
    await uow.session.flush()
    return endpoint


async def owned_endpoint(
    uow: UnitOfWork, endpoint_id: UUID, subscriber: str | None, *, lock: bool = False
) -> Endpoint:
    """The endpoint, if `subscriber` owns it (None: any, for programme admins)."""
    endpoint = await uow.session.get(Endpoint, endpoint_id, with_for_update=lock)
    if endpoint is None or (subscriber is not None and endpoint.subscriber != subscriber):
        raise EndpointNotFound()
    return endpoint


def challenge() -> dict[str, Any]:
    return {"type": "webhook.challenge", "challenge": secrets.token_urlsafe(24)}


def check_challenge_answer(sent: dict[str, Any], status: int, answer: Any) -> None:
    if not 200 <= status < 300:
        raise VerificationFailed(f"The endpoint answered the challenge with HTTP {status}.")
    if not isinstance(answer, dict) or answer.get("challenge") != sent["challenge"]:
        raise VerificationFailed(
            'The endpoint must answer the challenge with JSON {"challenge": "<the value sent>"}.'
        )


def mark_verified(endpoint: Endpoint) -> None:
    endpoint.status = "active"
    endpoint.verified_at = datetime.now(UTC)


def rotate_secret(endpoint: Endpoint, overlap: timedelta) -> None:
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_until = datetime.now(UTC) + overlap
    endpoint.secret = signatures.new_secret()


async def redeliver(uow: UnitOfWork, endpoint: Endpoint, delivery_id: int | None) -> int:
    """Send parked deliveries again (one, or all when `delivery_id` is None), with fresh
    retry time. Returns how many were queued."""
    statement = (
        update(Delivery)
        .where(Delivery.endpoint_id == endpoint.id, Delivery.state == "parked")
        .values(
            state="pending",
            attempts=0,
            first_attempt_at=None,
            next_attempt_at=func.now(),
            leased_until=None,
            finished_at=None,
        )
    )
    if delivery_id is not None:
        statement = statement.where(Delivery.id == delivery_id)
    result = await uow.session.execute(statement)
    count = int(getattr(result, "rowcount", 0) or 0)
    if delivery_id is not None and count == 0:
        raise DeliveryNotFound()
    if count:
        await uow.session.execute(
            text("SELECT pg_notify(:channel, '')"), {"channel": DELIVERIES_CHANNEL}
        )
    return count


_REPLAY = text(
    """
    INSERT INTO deliveries (endpoint_id, sequence, event_key, state, attempts)
    SELECT :endpoint, p.sequence, p.subject, 'pending', 0
    FROM public_events p
    WHERE p.received_at >= :since AND p.event_type = ANY(:types)
    ORDER BY p.sequence
    """
)


async def replay(
    uow: UnitOfWork,
    endpoint: Endpoint,
    scopes: Sequence[str],
    since: datetime,
    retention: timedelta,
) -> int:
    """Queue again every retained event since `since` that the endpoint wants and the token
    grants, in log order, with their original ids. Returns how many were queued."""
    if since < datetime.now(UTC) - retention:
        raise BeyondRetention(
            f"Events are kept for {retention.total_seconds() / 3600:g} hours; ask for a later time."
        )
    types = sorted(set(endpoint.event_types) & {s[len(SCOPE_PREFIX) :] for s in scopes})
    result = await uow.session.execute(
        _REPLAY, {"endpoint": endpoint.id, "since": since, "types": types}
    )
    count = int(getattr(result, "rowcount", 0) or 0)
    if count:
        await uow.session.execute(
            text("SELECT pg_notify(:channel, '')"), {"channel": DELIVERIES_CHANNEL}
        )
    return count

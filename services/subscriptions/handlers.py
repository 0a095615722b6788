"""Commands: record public events (with their fan-out), manage endpoints, redeliver, replay.

Every handler is `(command, uow, *, dependencies)`; handlers change rows and never commit: the
consumer's or the route's unit of work does.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert

from services.chassis.database import UnitOfWork
from services.subscriptions import views
from services.subscriptions.adapters.orm import Delivery, Endpoint, PublicEvent, Subscriber
from services.subscriptions.adapters.webhook_client import DELIVERY_ERRORS, webhook_client
from services.subscriptions.adapters.webhook_targets import TargetPolicy
from services.subscriptions.config import SubscriptionsSettings
from services.subscriptions.domain import signatures, verification
from services.subscriptions.domain.commands import (
    RecordPublicEvent,
    RedeliverParked,
    RegisterEndpoint,
    RememberSubscriber,
    RemoveEndpoint,
    ReplayEvents,
    RotateSecret,
    VerifyEndpoint,
)
from services.subscriptions.domain.errors import (
    BeyondRetention,
    DeliveryNotFound,
    NotVerified,
    TooManyEndpoints,
    VerificationFailed,
)
from services.subscriptions.domain.model import SCOPE_PREFIX, check_types

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


async def record_public_event(command: RecordPublicEvent, uow: UnitOfWork) -> None:
    """Append the event to the log once (a redelivery changes nothing) and queue a delivery
    for every verified endpoint that wants its type and whose owner holds the scope."""
    session = uow.session
    await session.execute(text(_LOG_LOCK))
    sequence = (
        await session.execute(
            insert(PublicEvent)
            .values(
                event_id=command.event_id,
                event_type=command.event_type,
                source=command.source,
                subject=command.subject,
                time=command.time,
                data=command.data,
                traceparent=command.traceparent,
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
            "key": command.subject,
            "type": command.event_type,
            "scope": SCOPE_PREFIX + command.event_type,
        },
    )
    if getattr(queued, "rowcount", 0):
        await _wake_dispatchers(uow)


async def remember_subscriber(command: RememberSubscriber, uow: UnitOfWork) -> None:
    """Keep the scopes of the subscriber's newest token: deliveries are checked against them,
    so a reduced scope stops webhooks as soon as the department uses its new token."""
    scopes = sorted(command.scopes)
    await uow.session.execute(
        insert(Subscriber)
        .values(subject=command.subject, scopes=scopes, seen_at=func.now())
        .on_conflict_do_update(
            index_elements=["subject"], set_={"scopes": scopes, "seen_at": func.now()}
        )
    )


# -- endpoints --------------------------------------------------------------------------------


async def register_endpoint(
    command: RegisterEndpoint, uow: UnitOfWork, *, settings: SubscriptionsSettings
) -> Endpoint:
    """A pending endpoint with a fresh secret; refuses types outside the scopes, URLs that may
    not be webhook targets, and more than `endpoints_per_subscriber` endpoints."""
    event_types = check_types(command.event_types, command.scopes)
    await TargetPolicy(settings.development_targets()).check(command.url)
    limit = settings.endpoints_per_subscriber
    count = await uow.session.scalar(
        select(func.count()).select_from(Endpoint).where(Endpoint.subscriber == command.subscriber)
    )
    if (count or 0) >= limit:
        raise TooManyEndpoints(f"A department may register at most {limit} endpoints.")
    endpoint = Endpoint(
        id=uuid.uuid4(),
        subscriber=command.subscriber,
        url=command.url,
        description=command.description,
        event_types=event_types,
        status="pending",
        secret=signatures.new_secret(),
    )
    uow.session.add(endpoint)
    await uow.session.flush()
    return endpoint


async def remove_endpoint(command: RemoveEndpoint, uow: UnitOfWork) -> None:
    endpoint = await views.owned_endpoint(uow.session, command.endpoint_id, command.subscriber)
    await uow.session.delete(endpoint)


async def verify_endpoint(
    command: VerifyEndpoint, uow: UnitOfWork, *, settings: SubscriptionsSettings
) -> Endpoint:
    """POST the signed challenge; the endpoint becomes active when it echoes it."""
    endpoint = await views.owned_endpoint(
        uow.session, command.endpoint_id, command.subscriber, lock=True
    )
    sent = verification.challenge()
    body = json.dumps(sent, separators=(",", ":")).encode()
    headers = signatures.headers(
        signatures.secrets_in_use(
            endpoint.secret,
            endpoint.previous_secret,
            endpoint.previous_secret_until,
            datetime.now(UTC),
        ),
        f"challenge_{endpoint.id}_{int(time.time() * 1000)}",
        int(time.time()),
        body,
    )
    policy = TargetPolicy(settings.development_targets())
    async with webhook_client(
        policy, timeout=settings.delivery_timeout_seconds, connections=1
    ) as client:
        try:
            response = await client.post(endpoint.url, content=body, headers=headers)
        except DELIVERY_ERRORS as exc:
            raise VerificationFailed(
                f"The endpoint could not be reached ({type(exc).__name__})."
            ) from exc
    try:
        answer: object = response.json()
    except ValueError:
        answer = None
    verification.check_challenge_answer(sent, response.status_code, answer)
    endpoint.status = "active"
    endpoint.verified_at = datetime.now(UTC)
    return endpoint


async def rotate_secret(
    command: RotateSecret, uow: UnitOfWork, *, settings: SubscriptionsSettings
) -> Endpoint:
    """A new signing secret; the previous one still signs for `secret_overlap_hours`."""
    endpoint = await views.owned_endpoint(
        uow.session, command.endpoint_id, command.subscriber, lock=True
    )
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_until = datetime.now(UTC) + timedelta(
        hours=settings.secret_overlap_hours
    )
    endpoint.secret = signatures.new_secret()
    return endpoint


# -- dead letters and replay ------------------------------------------------------------------


async def redeliver_parked(command: RedeliverParked, uow: UnitOfWork) -> int:
    """Send parked deliveries again (one, or all when `delivery_id` is None), with fresh
    retry time. Returns how many were queued."""
    endpoint = await views.owned_endpoint(uow.session, command.endpoint_id, command.subscriber)
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
    if command.delivery_id is not None:
        statement = statement.where(Delivery.id == command.delivery_id)
    result = await uow.session.execute(statement)
    count = int(getattr(result, "rowcount", 0) or 0)
    if command.delivery_id is not None and count == 0:
        raise DeliveryNotFound()
    if count:
        await _wake_dispatchers(uow)
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


async def replay_events(
    command: ReplayEvents, uow: UnitOfWork, *, settings: SubscriptionsSettings
) -> int:
    """Queue again every retained event since `since` that the endpoint wants and the token
    grants, in log order, with their original ids. Returns how many were queued."""
    endpoint = await views.owned_endpoint(uow.session, command.endpoint_id, command.subscriber)
    if endpoint.status != "active":
        raise NotVerified()
    retention = timedelta(hours=settings.outbox_retention_hours)
    if command.since < datetime.now(UTC) - retention:
        raise BeyondRetention(
            f"Events are kept for {retention.total_seconds() / 3600:g} hours; ask for a later time."
        )
    granted = {s[len(SCOPE_PREFIX) :] for s in command.scopes}
    types = sorted(set(endpoint.event_types) & granted)
    result = await uow.session.execute(
        _REPLAY, {"endpoint": endpoint.id, "since": command.since, "types": types}
    )
    count = int(getattr(result, "rowcount", 0) or 0)
    if count:
        await _wake_dispatchers(uow)
    return count


async def _wake_dispatchers(uow: UnitOfWork) -> None:
    # Delivered by PostgreSQL only when the transaction commits.
    await uow.session.execute(
        text("SELECT pg_notify(:channel, '')"), {"channel": DELIVERIES_CHANNEL}
    )

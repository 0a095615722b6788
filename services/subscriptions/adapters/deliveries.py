"""The deliveries table as a leased work queue: claiming heads of queues, recording outcomes.

Claiming: a delivery is taken only when it is due, not leased, its endpoint is active, and no
earlier delivery of the same key to the same endpoint is still pending (it is the head of its
queue). The lease is set by an UPDATE that re-checks state and lease on the locked row, so
several replicas share the work without sending anything twice, and each (endpoint, key) has
at most one delivery in flight. A crashed replica's leases expire and another replica sends
those deliveries again (same `webhook-id`: receivers dedupe). The dispatcher that uses this is
services/subscriptions/entrypoints/worker.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, delete, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.subscriptions.adapters.orm import Delivery, DeliveryAttempt, PublicEvent

#: The head of each (endpoint, key) queue that is due, oldest first, then leased. The lease is
#: taken by an UPDATE that re-checks state and lease on the locked row, so two dispatchers
#: never both take one delivery; only heads are taken, so one key never has two in flight.
_CLAIM = text(
    """
    UPDATE deliveries d SET leased_until = now() + make_interval(secs => :lease)
    FROM (
        SELECT heads.id FROM (
            SELECT DISTINCT ON (endpoint_id, event_key)
                   id, sequence, next_attempt_at, leased_until, endpoint_id
            FROM deliveries WHERE state = 'pending'
            ORDER BY endpoint_id, event_key, sequence, id
        ) heads JOIN endpoints e ON e.id = heads.endpoint_id
        WHERE heads.next_attempt_at <= now()
          AND (heads.leased_until IS NULL OR heads.leased_until < now())
          AND e.status = 'active'
        ORDER BY heads.sequence, heads.id
        LIMIT :limit
    ) picked
    WHERE d.id = picked.id AND d.state = 'pending'
      AND (d.leased_until IS NULL OR d.leased_until < now())
    RETURNING d.id
    """
)
_LOAD = text(
    """
    SELECT d.id, d.attempts, d.first_attempt_at, e.id AS endpoint_id, e.url, e.event_types,
           e.secret, e.previous_secret, e.previous_secret_until, s.scopes,
           p.event_id, p.event_type, p.source, p.subject, p.time, p.data, p.traceparent
    FROM deliveries d
    JOIN endpoints e ON e.id = d.endpoint_id
    JOIN subscribers s ON s.subject = e.subscriber
    JOIN public_events p ON p.sequence = d.sequence
    WHERE d.id = ANY(:ids)
    ORDER BY p.sequence
    """
)
#: Attempts' outcomes, several at once: each one's line in the delivery log and its delivery's
#: new state, in one statement (a delivery that stays pending is released for its next try).
_RECORD = text(
    """
    WITH outcome AS (
        SELECT * FROM unnest(
            CAST(:id AS bigint[]), CAST(:endpoint_id AS uuid[]), CAST(:event_id AS text[]),
            CAST(:event_type AS text[]), CAST(:attempt AS integer[]),
            CAST(:status AS smallint[]), CAST(:latency AS integer[]), CAST(:error AS text[]),
            CAST(:state AS text[]), CAST(:first AS timestamptz[]), CAST(:next AS timestamptz[])
        ) WITH ORDINALITY AS o(id, endpoint_id, event_id, event_type, attempt, status,
                               latency, error, state, first, next, position)
    ), logged AS (
        INSERT INTO delivery_attempts
            (endpoint_id, delivery_id, event_id, event_type, attempt, status_code, latency_ms,
             error)
        SELECT endpoint_id, id, event_id, event_type, attempt, status, latency, error
        FROM outcome ORDER BY position
    )
    UPDATE deliveries d SET
        state = o.state, attempts = o.attempt, first_attempt_at = o.first,
        next_attempt_at = o.next, leased_until = NULL, last_status = o.status,
        last_error = o.error,
        finished_at = CASE WHEN o.state = 'pending' THEN NULL ELSE now() END
    FROM outcome o
    WHERE d.id = o.id
    """
)
#: The columns of `_RECORD`, one array each.
_RECORD_COLUMNS = (
    "id", "endpoint_id", "event_id", "event_type", "attempt", "status", "latency", "error",
    "state", "first", "next",
)  # fmt: skip
#: Connections the dispatcher's deliveries use at once (the chassis pool holds 10).
DATABASE_SLOTS = 6


async def claim_deliveries(
    conn: AsyncConnection, *, limit: int, lease_seconds: float
) -> Sequence[Row[Any]]:
    """Lease up to `limit` deliveries; returns each with its event, endpoint and scopes."""
    rows = await conn.execute(_CLAIM, {"lease": lease_seconds, "limit": limit})
    ids = [row.id for row in rows]
    if not ids:
        return []
    return (await conn.execute(_LOAD, {"ids": ids})).all()


async def drop_delivery(session: AsyncSession, delivery_id: int, reason: str) -> None:
    """Finish a delivery without sending it (e.g. its scope is no longer held)."""
    await session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id)
        .values(
            state="dropped",
            leased_until=None,
            finished_at=datetime.now(UTC),
            last_status=None,
            last_error=reason,
        )
    )


async def prune_deliveries(conn: AsyncConnection, before: datetime) -> int:
    """Drop log rows (and their deliveries) and delivery history older than `before`."""
    events = await conn.execute(delete(PublicEvent).where(PublicEvent.received_at < before))
    attempts = await conn.execute(delete(DeliveryAttempt).where(DeliveryAttempt.at < before))
    return int(events.rowcount) + int(attempts.rowcount)


async def record_outcomes(session: AsyncSession, outcomes: Sequence[dict[str, Any]]) -> None:
    """Write attempts' outcomes (each the columns of `_RECORD`) in one statement."""
    await session.execute(
        _RECORD, {c: [outcome[c] for outcome in outcomes] for c in _RECORD_COLUMNS}
    )

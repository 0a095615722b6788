"""The webhook dispatcher: delivers queued events to endpoints, signed, in order per key.

Claiming: a delivery is taken only when it is due, not leased, its endpoint is active, and no
earlier delivery of the same key to the same endpoint is still pending (it is the head of its
queue). The lease is set by an UPDATE that re-checks state and lease on the locked row, so
several replicas share the work without sending anything twice, and each (endpoint, key) has
at most one delivery in flight. A crashed replica's leases
expire and another replica sends those deliveries again (same `webhook-id`: receivers dedupe).

A failed delivery is retried after a random delay in [0, min(max, base·2^(attempt-1))] (full
jitter) until `retry_for_seconds` have passed since its first attempt; then it is parked in
the endpoint's dead-letter list. A parked delivery no longer holds back later events of its
key: one poisoned event must not stop a department's whole stream, and the receiver can see
the order from each event's position in the pull feed or its `time`. Redelivering it sends it
once more, after whatever has gone since.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from opentelemetry import metrics
from sqlalchemy import Row, delete, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.chassis.wakeup import CommitWakeup
from services.subscriptions.adapters.orm import Delivery, DeliveryAttempt, PublicEvent
from services.subscriptions.config import SubscriptionsSettings
from services.subscriptions.domain import signatures
from services.subscriptions.domain.errors import TargetNotAllowed
from services.subscriptions.domain.model import SCOPE_PREFIX
from services.subscriptions.handlers import DELIVERIES_CHANNEL, secrets_in_use
from services.subscriptions.targets import DELIVERY_ERRORS, TargetPolicy, webhook_client
from services.subscriptions.views import cloud_event

log = logging.getLogger(__name__)
_meter = metrics.get_meter("convene.subscriptions")
delivered_counter = _meter.create_counter(
    "convene.webhooks.delivered", unit="{delivery}", description="Webhook deliveries accepted"
)
failed_counter = _meter.create_counter(
    "convene.webhooks.failed", unit="{attempt}", description="Webhook attempts that failed"
)

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
#: Outcomes written by one statement at most.
_RECORD_BATCH = 200
#: How often old log rows and delivery history are pruned.
_PRUNE_EVERY_SECONDS = 60.0
_ERROR_LENGTH = 500
#: Connections the dispatcher's deliveries use at once (the chassis pool holds 10).
_DATABASE_SLOTS = 6


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None
    latency_ms: int

    @property
    def accepted(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class OutcomeRecorder:
    """Writes attempts' outcomes in batches: one statement and one commit for all that finished
    while the previous batch was being written (group commit).

    A lone outcome is written at once; under load, each batch holds the outcomes that arrived
    during one round trip, so the database work per delivery falls as deliveries rise. One
    batch is written at a time, so recording holds at most one connection.
    """

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], database: asyncio.Semaphore
    ) -> None:
        self.sessions = sessions
        self._database = database
        self._waiting: list[tuple[dict[str, Any], asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def record(self, outcome: dict[str, Any]) -> None:
        """Returns once `outcome` (the columns of `_RECORD`) is committed; raises if it failed."""
        written = asyncio.get_running_loop().create_future()
        self._waiting.append((outcome, written))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_all())
        await written

    async def _write_all(self) -> None:
        while self._waiting:
            batch = self._waiting[:_RECORD_BATCH]
            del self._waiting[:_RECORD_BATCH]
            try:
                async with self._database, self.sessions() as session:
                    await session.execute(
                        _RECORD,
                        {c: [outcome[c] for outcome, _ in batch] for c in _RECORD_COLUMNS},
                    )
                    await session.commit()
            except Exception as exc:
                for _, written in batch:
                    if not written.done():
                        written.set_exception(exc)
            else:
                for _, written in batch:
                    if not written.done():
                        written.set_result(None)

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer


class Dispatcher:
    def __init__(
        self,
        engine: AsyncEngine,
        sessions: async_sessionmaker[AsyncSession],
        settings: SubscriptionsSettings,
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.policy = TargetPolicy(settings.development_targets())
        self.client = webhook_client(
            self.policy,
            timeout=settings.delivery_timeout_seconds,
            connections=settings.dispatch_concurrency,
        )
        self.wakeup = CommitWakeup(engine, DELIVERIES_CHANNEL)
        self.retention = timedelta(hours=settings.outbox_retention_hours)
        self._in_flight: set[asyncio.Task[None]] = set()
        # Far more deliveries wait on the network than the pool has connections: without this
        # bound, each burst opens and closes overflow connections, which costs more than the
        # deliveries themselves. The rest of the pool stays free for the consumer and the API.
        self._database = asyncio.Semaphore(_DATABASE_SLOTS)
        self.outcomes = OutcomeRecorder(sessions, self._database)
        self._pruned_at = 0.0

    async def run(self) -> None:
        while True:
            try:
                await self.wakeup.listen()
                free = self.settings.dispatch_concurrency - len(self._in_flight)
                claimed = await self.claim(free) if free > 0 else []
                for job in claimed:
                    task = asyncio.create_task(self._deliver_and_wake(job))
                    self._in_flight.add(task)
                    task.add_done_callback(self._in_flight.discard)
                if time.monotonic() - self._pruned_at > _PRUNE_EVERY_SECONDS:
                    await self.prune()
                if claimed and len(claimed) == free:
                    continue  # there may be more; finished deliveries also wake us
            except asyncio.CancelledError:
                raise
            except Exception:
                # An outage must not stop the dispatcher; the next round retries.
                log.exception("webhook dispatcher round failed")
            await self.wakeup.wait(self.settings.dispatch_poll_seconds)

    async def claim(self, limit: int) -> list[Row[Any]]:
        """Lease up to `limit` deliveries; returns each with its event, endpoint and scopes."""
        async with self.sessions() as session:
            rows = await session.execute(
                _CLAIM, {"lease": self.settings.dispatch_lease_seconds, "limit": limit}
            )
            ids = [row.id for row in rows]
            await session.commit()
            if not ids:
                return []
            jobs = list(await session.execute(_LOAD, {"ids": ids}))
            await session.commit()
        return jobs

    async def _deliver_and_wake(self, job: Row[Any]) -> None:
        try:
            await self.deliver(job)
        except Exception:
            # The lease expires and the delivery is tried again.
            log.exception("webhook delivery %s failed to run", job.id)
        finally:
            # Outcomes are recorded in batches, so many deliveries finish at once, before any
            # done-callback has run: count this one out here, or none of them sees room.
            self._in_flight.discard(asyncio.current_task())
            # Claiming costs a scan of the pending queue: refill in batches, not one by one.
            if len(self._in_flight) <= self.settings.dispatch_concurrency // 2:
                self.wakeup.set()

    async def deliver(self, job: Row[Any]) -> None:
        """Send one claimed delivery and record the outcome."""
        now = datetime.now(UTC)
        # Scopes can be reduced after an event was queued: check again at delivery time.
        if job.event_type not in job.event_types or SCOPE_PREFIX + job.event_type not in job.scopes:
            async with self._database, self.sessions() as session:
                await self._finish(session, job.id, "dropped", None, "scope no longer held")
                await session.commit()
            return
        body = json.dumps(cloud_event(job), separators=(",", ":")).encode()
        headers = signatures.headers(
            secrets_in_use(job.secret, job.previous_secret, job.previous_secret_until, now),
            job.event_id,
            int(time.time()),
            body,
        )
        attempt = job.attempts + 1
        first_attempt_at = job.first_attempt_at or now
        outcome = await self.post(job.url, body, headers)
        if outcome.accepted:
            delivered_counter.add(1)
            state, next_attempt_at = "delivered", now
        else:
            failed_counter.add(1)
            state, next_attempt_at = self._after_failure(attempt, first_attempt_at)
            if state == "parked":
                log.warning("webhook delivery %s parked after %d attempts", job.id, attempt)
        await self.outcomes.record(
            {
                "id": job.id,
                "endpoint_id": job.endpoint_id,
                "event_id": job.event_id,
                "event_type": job.event_type,
                "attempt": attempt,
                "status": outcome.status_code,
                "latency": outcome.latency_ms,
                "error": outcome.error,
                "state": state,
                "first": first_attempt_at,
                "next": next_attempt_at,
            }
        )

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> Outcome:
        started = time.perf_counter()
        try:
            response = await self.client.post(url, content=body, headers=headers)
            status, error = response.status_code, None
            if not 200 <= status < 300:
                error = f"HTTP {status}"
        except TargetNotAllowed as exc:
            status, error = None, str(exc)
        except DELIVERY_ERRORS as exc:
            status, error = None, f"{type(exc).__name__}: {exc}"
        latency = int((time.perf_counter() - started) * 1000)
        return Outcome(status, (error or "")[:_ERROR_LENGTH] or None, latency)

    async def _finish(
        self,
        session: AsyncSession,
        delivery_id: int,
        state: str,
        status: int | None,
        error: str | None,
        *,
        attempt: int | None = None,
    ) -> None:
        values: dict[str, object] = {
            "state": state,
            "leased_until": None,
            "finished_at": datetime.now(UTC),
            "last_status": status,
            "last_error": error,
        }
        if attempt is not None:
            values["attempts"] = attempt
        await session.execute(update(Delivery).where(Delivery.id == delivery_id).values(**values))

    def _after_failure(self, attempt: int, first_attempt_at: datetime) -> tuple[str, datetime]:
        """`pending` with the next attempt's time, or `parked` once retry time would run out."""
        settings = self.settings
        now = datetime.now(UTC)
        ceiling = min(
            settings.retry_max_delay_seconds, settings.retry_base_seconds * 2 ** (attempt - 1)
        )
        next_attempt_at = now + timedelta(seconds=random.uniform(0, ceiling))
        retry_until = first_attempt_at + timedelta(seconds=settings.retry_for_seconds)
        return ("parked" if next_attempt_at > retry_until else "pending"), next_attempt_at

    async def prune(self) -> None:
        """Drop log rows (and their deliveries) and delivery history older than retention."""
        self._pruned_at = time.monotonic()
        horizon = datetime.now(UTC) - self.retention
        async with self.sessions() as session:
            await session.execute(delete(PublicEvent).where(PublicEvent.received_at < horizon))
            await session.execute(delete(DeliveryAttempt).where(DeliveryAttempt.at < horizon))
            await session.commit()

    async def close(self) -> None:
        for task in list(self._in_flight):
            task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.gather(*self._in_flight, return_exceptions=True)
        await self.outcomes.close()
        await self.client.aclose()
        await self.wakeup.close()

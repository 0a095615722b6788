"""The webhook dispatcher: delivers queued events to endpoints, signed, in order per key.

A user of the chassis's leased work queue over the deliveries table (adapters/deliveries.py says
which deliveries it claims). What is its own: checking the scopes again, signing, POSTing, and
recording each attempt in the delivery log.

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
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from opentelemetry import metrics
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from services.chassis.leased_queue import LeasedQueue, RetryPolicy
from services.chassis.runtime import ServiceRuntime
from services.subscriptions.adapters.deliveries import (
    DATABASE_SLOTS,
    claim_deliveries,
    drop_delivery,
    prune_deliveries,
    record_outcomes,
)
from services.subscriptions.adapters.webhook_client import DELIVERY_ERRORS, webhook_client
from services.subscriptions.adapters.webhook_targets import TargetPolicy
from services.subscriptions.config import SubscriptionsSettings
from services.subscriptions.domain import signatures
from services.subscriptions.domain.errors import TargetNotAllowed
from services.subscriptions.domain.model import SCOPE_PREFIX
from services.subscriptions.handlers import DELIVERIES_CHANNEL
from services.subscriptions.views import cloud_event

log = logging.getLogger(__name__)
_meter = metrics.get_meter("convene.subscriptions")
delivered_counter = _meter.create_counter(
    "convene.webhooks.delivered", unit="{delivery}", description="Webhook deliveries accepted"
)
failed_counter = _meter.create_counter(
    "convene.webhooks.failed", unit="{attempt}", description="Webhook attempts that failed"
)

_ERROR_LENGTH = 500


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None
    latency_ms: int

    @property
    def accepted(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class WebhookDispatcher(LeasedQueue[Row[Any], None]):
    """Up to `dispatch_concurrency` deliveries in flight (different endpoints or keys)."""

    def __init__(
        self,
        engine: AsyncEngine,
        sessions: async_sessionmaker[AsyncSession],
        settings: SubscriptionsSettings,
    ) -> None:
        super().__init__(
            engine,
            name="webhook dispatcher",
            owner="subscriptions-webhooks",
            channel=DELIVERIES_CHANNEL,
            initial_stats=None,
            batch_size=settings.dispatch_concurrency,
            lease_seconds=settings.dispatch_lease_seconds,
            sweep_seconds=settings.dispatch_poll_seconds,
            retention=timedelta(hours=settings.outbox_retention_hours),
            concurrency=settings.dispatch_concurrency,
        )
        self.sessions = sessions
        self.settings = settings
        self.retry = RetryPolicy(
            base_seconds=settings.retry_base_seconds,
            max_seconds=settings.retry_max_delay_seconds,
            jitter=True,
            give_up_after=timedelta(seconds=settings.retry_for_seconds),
        )
        self.policy = TargetPolicy(settings.development_targets())
        self.client = webhook_client(
            self.policy,
            timeout=settings.delivery_timeout_seconds,
            connections=settings.dispatch_concurrency,
        )
        # Far more deliveries wait on the network than the pool has connections: without this
        # bound, each burst opens and closes overflow connections, which costs more than the
        # deliveries themselves. The rest of the pool stays free for the consumer and the API.
        self._database = asyncio.Semaphore(DATABASE_SLOTS)
        self.outcomes = OutcomeRecorder(sessions, self._database)

    async def claim(self, conn: AsyncConnection, limit: int) -> Sequence[Row[Any]]:
        return await claim_deliveries(conn, limit=limit, lease_seconds=self.lease_seconds)

    async def work_one(self, job: Row[Any]) -> bool:
        return await self.deliver(job)

    async def purge(self, conn: AsyncConnection, before: datetime) -> int:
        return await prune_deliveries(conn, before)

    async def stats(self) -> None:
        return None

    async def deliver(self, job: Row[Any]) -> bool:
        """Send one claimed delivery and record the outcome; True when it was accepted."""
        now = datetime.now(UTC)
        # Scopes can be reduced after an event was queued: check again at delivery time.
        if job.event_type not in job.event_types or SCOPE_PREFIX + job.event_type not in job.scopes:
            async with self._database, self.sessions() as session:
                await drop_delivery(session, job.id, "scope no longer held")
                await session.commit()
            return False
        body = json.dumps(cloud_event(job), separators=(",", ":")).encode()
        headers = signatures.headers(
            signatures.secrets_in_use(
                job.secret, job.previous_secret, job.previous_secret_until, now
            ),
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
            next_try = self.retry.after_failure(attempt, first_attempt_at)
            state, next_attempt_at = ("parked" if next_try.dead else "pending"), next_try.at
            if next_try.dead:
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
        return outcome.accepted

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

    async def close(self) -> None:
        await super().close()
        await self.outcomes.close()
        await self.client.aclose()


def webhook_dispatcher(runtime: ServiceRuntime) -> WebhookDispatcher:
    """The `ServiceDefinition.workers` entry: the dispatcher runs in every replica."""
    return WebhookDispatcher(
        runtime.engine, runtime.sessions, runtime.settings_as(SubscriptionsSettings)
    )


#: Outcomes written by one statement at most.
OUTCOME_BATCH = 200


class OutcomeRecorder:
    """Writes attempts' outcomes in batches: one statement and one commit for all that finished
    while the previous batch was being written (group commit). The dispatcher's own boundary:
    an outcome is committed here, never by the adapters below it.

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
        """Returns once `outcome` is committed; raises if its write failed."""
        written = asyncio.get_running_loop().create_future()
        self._waiting.append((outcome, written))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_all())
        await written

    async def _write_all(self) -> None:
        while self._waiting:
            batch = self._waiting[:OUTCOME_BATCH]
            del self._waiting[:OUTCOME_BATCH]
            try:
                async with self._database, self.sessions() as session:
                    await record_outcomes(session, [outcome for outcome, _ in batch])
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

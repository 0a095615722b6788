"""The outbox relay: publishes outbox rows to Kafka, in order per key, at least once.

It wakes on PostgreSQL NOTIFY (sent when a writing transaction commits), so an event leaves
within milliseconds; a slow sweep catches rows a crashed relay left behind. Rows are claimed
with a lease (`FOR UPDATE SKIP LOCKED`), so several relays may run against one database.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from aiokafka import AIOKafkaProducer
from opentelemetry import context as otel_context
from opentelemetry import metrics, propagate, trace
from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.chassis.outbox import OUTBOX_CHANNEL, outbox_table
from services.chassis.tracing import context_from_headers, tracer
from services.chassis.wakeup import CommitWakeup

log = logging.getLogger(__name__)
meter = metrics.get_meter("convene.chassis")
published_counter = meter.create_counter(
    "convene.events.published", unit="{event}", description="Events the outbox relay published"
)

#: Serialises claims across relays of one database (any constant bigint).
_CLAIM_LOCK = 0x636F6E76656E65

# A row is eligible when it is unsent, not leased by a live relay, and no older unsent row of
# the same key is leased by someone else: that last rule keeps per-key order across relays.
_CLAIM = text(
    """
    WITH candidates AS (
        SELECT o.id FROM outbox o
        WHERE o.sent_at IS NULL
          AND (o.lease_until IS NULL OR o.lease_until < now())
          AND NOT EXISTS (
              SELECT 1 FROM outbox p
              WHERE p.topic = o.topic AND p.key = o.key AND p.id < o.id
                AND p.sent_at IS NULL AND p.lease_until >= now()
          )
        ORDER BY o.id
        LIMIT :limit
        FOR UPDATE SKIP LOCKED
    )
    UPDATE outbox SET lease_owner = :owner,
                      lease_until = now() + make_interval(secs => :lease),
                      attempts = outbox.attempts + 1
    FROM candidates WHERE outbox.id = candidates.id
    RETURNING outbox.id, outbox.topic, outbox.key, outbox.headers, outbox.value
    """
)


@dataclass(frozen=True)
class OutboxStats:
    backlog: int
    oldest_age_seconds: float


class OutboxRelay:
    """Publishes one service's outbox. Start with `run()` as a task; `drain()` publishes now."""

    def __init__(
        self,
        engine: AsyncEngine,
        producer: AIOKafkaProducer,
        *,
        service: str,
        batch_size: int = 200,
        lease_seconds: float = 30,
        sweep_seconds: float = 5,
        retention: timedelta = timedelta(days=7),
    ) -> None:
        self.engine = engine
        self.producer = producer
        self.service = service
        self.batch_size = batch_size
        self.lease_seconds = lease_seconds
        self.sweep_seconds = sweep_seconds
        self.retention = retention
        self.owner = f"{service}@{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._wakeup = CommitWakeup(engine, OUTBOX_CHANNEL)
        self.last_stats = OutboxStats(0, 0.0)

    def wake(self) -> None:
        self._wakeup.set()

    async def run(self) -> None:
        """Publish until cancelled. Never raises for a broker or database outage: it retries."""
        last_purge = 0.0
        loop = asyncio.get_running_loop()
        while True:
            try:
                await self._wakeup.listen()
                await self.drain()
                self.last_stats = await self.stats()
                if loop.time() - last_purge > 60:
                    await self.purge_expired()
                    last_purge = loop.time()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay of %s failed; retrying", self.service)
                await asyncio.sleep(1)
            await self._wakeup.wait(self.sweep_seconds)

    async def close(self) -> None:
        await self._wakeup.close()

    async def drain(self) -> int:
        """Publish every eligible row now; returns how many were published."""
        total = 0
        while True:
            async with self.engine.begin() as conn:
                # Claims run one at a time: a claim still uncommitted elsewhere would otherwise be
                # invisible (SKIP LOCKED), letting us take a newer row of the same key first.
                await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CLAIM_LOCK})
                rows = (
                    await conn.execute(
                        _CLAIM,
                        {
                            "limit": self.batch_size,
                            "owner": self.owner,
                            "lease": self.lease_seconds,
                        },
                    )
                ).all()
            if not rows:
                return total
            total += await self._publish(sorted(rows, key=lambda r: r.id))
            if len(rows) < self.batch_size:
                return total

    async def _publish(
        self, rows: Sequence[Row[tuple[int, str, str, list[list[str]], bytes]]]
    ) -> int:
        # aiokafka keeps one request in flight per partition, so queued sends keep their order.
        sends: list[asyncio.Future[object]] = []
        for row in rows:
            headers = [(name, value) for name, value in row.headers]
            token = otel_context.attach(context_from_headers(headers))
            try:
                with tracer.start_as_current_span(
                    f"{row.topic} publish",
                    kind=trace.SpanKind.PRODUCER,
                    attributes={
                        "messaging.system": "kafka",
                        "messaging.operation.type": "publish",
                        "messaging.destination.name": row.topic,
                        "messaging.kafka.message.key": row.key,
                    },
                ):
                    carrier: dict[str, str] = {}
                    propagate.inject(carrier)
                    kafka_headers = [
                        (name, value.encode())
                        for name, value in headers
                        if name not in ("traceparent", "tracestate")
                    ] + [(name, value.encode()) for name, value in carrier.items()]
                    sends.append(
                        await self.producer.send(
                            row.topic, row.value, key=row.key.encode(), headers=kafka_headers
                        )
                    )
            finally:
                otel_context.detach(token)
        results = await asyncio.gather(*sends, return_exceptions=True)
        sent = [
            row.id
            for row, result in zip(rows, results, strict=True)
            if not isinstance(result, BaseException)
        ]
        failed = {
            row.id: repr(result)
            for row, result in zip(rows, results, strict=True)
            if isinstance(result, BaseException)
        }
        async with self.engine.begin() as conn:
            if sent:
                await conn.execute(
                    text(
                        "UPDATE outbox SET sent_at = now(), lease_until = NULL, last_error = NULL"
                        " WHERE id = ANY(:ids)"
                    ),
                    {"ids": sent},
                )
            for row_id, error in failed.items():
                await conn.execute(
                    text(
                        "UPDATE outbox SET lease_until = NULL, last_error = :error WHERE id = :id"
                    ),
                    {"id": row_id, "error": error[:2000]},
                )
        if failed:
            log.warning(
                "outbox relay of %s: %d events not published yet", self.service, len(failed)
            )
        published_counter.add(len(sent), {"service": self.service})
        return len(sent)

    async def purge_expired(self) -> int:
        """Delete sent rows older than the retention period."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                outbox_table.delete().where(
                    outbox_table.c.sent_at.is_not(None),
                    outbox_table.c.sent_at < datetime.now().astimezone() - self.retention,
                )
            )
        return int(result.rowcount)

    async def stats(self) -> OutboxStats:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    text(
                        "SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0)"
                        " FROM outbox WHERE sent_at IS NULL"
                    )
                )
            ).one()
        return OutboxStats(backlog=int(row[0]), oldest_age_seconds=float(row[1]))


async def replay(engine: AsyncEngine, since: datetime, until: datetime) -> int:
    """Mark the retained events created in [since, until) for sending again; returns the count.

    Replayed events keep their ids, so consumers that applied them already skip them (inbox).
    The relay sends them in their original order. NOTIFY wakes a running relay at once.
    """
    async with engine.begin() as conn:
        result = await conn.execute(
            text(
                "UPDATE outbox SET sent_at = NULL, lease_until = NULL"
                " WHERE created_at >= :since AND created_at < :until AND sent_at IS NOT NULL"
            ),
            {"since": since, "until": until},
        )
        await conn.execute(text("SELECT pg_notify(:channel, '')"), {"channel": OUTBOX_CHANNEL})
    return int(result.rowcount)

"""The outbox relay: publishes outbox rows to Kafka, in order per key, at least once.

A user of the leased work queue (leased_queue.py): it wakes on PostgreSQL NOTIFY (sent when a
writing transaction commits), so an event leaves at once; a slow sweep catches rows a crashed
relay left behind; rows are claimed with a lease, so several relays may share one database.
What is its own: the rule that keeps per-key order across relays, publishing to Kafka with the
producer span, and never giving up on an event (a failed one is eligible again at once).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaProducer
from opentelemetry import context as otel_context
from opentelemetry import metrics, propagate, trace
from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.chassis.leased_queue import LeasedQueue, lease_claim
from services.chassis.outbox import OUTBOX_CHANNEL, outbox_table
from services.chassis.tracing import context_from_headers, tracer

log = logging.getLogger(__name__)
meter = metrics.get_meter("convene.chassis")
published_counter = meter.create_counter(
    "convene.events.published", unit="{event}", description="Events the outbox relay published"
)

#: Serialises claims across relays of one database (any constant bigint).
_CLAIM_LOCK = 0x636F6E76656E65

# A row is eligible when it is unsent, not leased by a live relay, and no older unsent row of
# the same key is leased by someone else: that last rule keeps per-key order across relays.
_CLAIM = lease_claim(
    "outbox",
    """
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
    """,
    "outbox.id, outbox.topic, outbox.key, outbox.headers, outbox.value",
)


@dataclass(frozen=True)
class OutboxStats:
    backlog: int
    oldest_age_seconds: float


class OutboxRelay(LeasedQueue[Row[Any], OutboxStats]):
    """Publishes one service's outbox. Start with `run()` as a task; `drain()` publishes now."""

    claim_statement = _CLAIM

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
        super().__init__(
            engine,
            name=f"outbox relay of {service}",
            owner=service,
            channel=OUTBOX_CHANNEL,
            initial_stats=OutboxStats(0, 0.0),
            batch_size=batch_size,
            lease_seconds=lease_seconds,
            sweep_seconds=sweep_seconds,
            retention=retention,
        )
        self.producer = producer
        self.service = service

    async def claim(self, conn: AsyncConnection, limit: int) -> Sequence[Row[Any]]:
        # Claims run one at a time: a claim still uncommitted elsewhere would otherwise be
        # invisible (SKIP LOCKED), letting us take a newer row of the same key first.
        await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CLAIM_LOCK})
        return await super().claim(conn, limit)

    async def work(self, jobs: Sequence[Row[Any]], *, claimed_at: float) -> int:
        return await self._publish(jobs)

    async def _publish(self, rows: Sequence[Row[Any]]) -> int:
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

    async def purge(self, conn: AsyncConnection, before: datetime) -> int:
        result = await conn.execute(
            outbox_table.delete().where(
                outbox_table.c.sent_at.is_not(None), outbox_table.c.sent_at < before
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

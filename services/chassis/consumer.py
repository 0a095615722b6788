"""Inbox-backed Kafka consumers: each event's effect happens once, poison events are parked.

For each record, in partition order: decode the CloudEvent, open a unit of work, claim the
event in the inbox, run the handler, commit. Offsets are committed only after that commit, so a
crash in between means redelivery, which the inbox turns into a no-op.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError
from aiokafka.structs import ConsumerRecord
from opentelemetry import metrics, trace
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts import Envelope, EnvelopeError, IntegrationEvent, spec_for
from services.chassis.database import UnitOfWork, unit_of_work
from services.chassis.dead_letter import send_to_dead_letter
from services.chassis.inbox import claim_in_inbox
from services.chassis.tracing import context_from_headers, tracer

log = logging.getLogger(__name__)
consumed_counter = metrics.get_meter("convene.chassis").create_counter(
    "convene.events.consumed", unit="{event}", description="Events a consumer applied"
)

Handler = Callable[[UnitOfWork, Any, Envelope], Awaitable[None]]
"""An event handler: applies one typed event within the given unit of work (never commits)."""


def _is_transient(exc: BaseException) -> bool:
    """Outages of the database or network: retried forever, never dead-lettered."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, OperationalError | InterfaceError | OSError | TimeoutError)


class EventConsumer:
    """One consumer group applying the events its handlers name.

    `handlers` maps event types to handlers; the consumer subscribes to their topics and
    skips other event types on those topics.
    """

    def __init__(
        self,
        *,
        name: str,
        handlers: Mapping[str, Handler],
        consumer: AIOKafkaConsumer,
        producer: AIOKafkaProducer,
        sessions: async_sessionmaker[AsyncSession],
        source: str,
        max_attempts: int = 3,
        retry_delay: float = 0.2,
    ) -> None:
        self.name = name
        self.handlers = dict(handlers)
        self.consumer = consumer
        self.producer = producer
        self.sessions = sessions
        self.source = source
        self.max_attempts = max_attempts
        self.retry_delay = retry_delay
        #: Messages behind the partition's end after the last batch (for the lag gauge).
        self.lag: dict[TopicPartition, int] = {}

    @staticmethod
    def topics_for(handlers: Mapping[str, Handler]) -> list[str]:
        return sorted({spec_for(event_type).topic for event_type in handlers})

    async def wait_until_assigned(self, timeout: float = 30) -> None:
        """Wait until the group has given this consumer its partitions (a rebalance takes time)."""
        async with asyncio.timeout(timeout):
            while not self.consumer.assignment():
                await asyncio.sleep(0.05)

    async def run(self) -> None:
        """Consume until cancelled. Broker outages are retried; nothing here ends the loop."""
        while True:
            try:
                batches = await self.consumer.getmany(timeout_ms=1000, max_records=200)
            except KafkaError:
                log.exception("consumer %s cannot fetch; retrying", self.name)
                await asyncio.sleep(1)
                continue
            for partition, records in batches.items():
                for record in records:
                    await self.handle(record)
                next_offset = records[-1].offset + 1
                await self._commit(partition, next_offset)
                highwater = self.consumer.highwater(partition)
                if highwater is not None:
                    self.lag[partition] = max(highwater - next_offset, 0)

    async def _commit(self, partition: TopicPartition, offset: int) -> None:
        try:
            await self.consumer.commit({partition: offset})
        except KafkaError:
            # The effects are committed; a redelivery after a rebalance is absorbed by the inbox.
            log.warning(
                "consumer %s could not commit offset %s of %s", self.name, offset, partition
            )

    async def handle(self, record: ConsumerRecord[bytes, bytes]) -> None:
        """Apply one record, retrying outages; park it in the DLQ when it cannot be applied."""
        headers = [(name, value.decode(errors="replace")) for name, value in record.headers or ()]
        with tracer.start_as_current_span(
            f"{record.topic} process",
            context=context_from_headers(headers),
            kind=trace.SpanKind.CONSUMER,
            attributes={
                "messaging.system": "kafka",
                "messaging.operation.type": "process",
                "messaging.destination.name": record.topic,
                "messaging.consumer.group.name": self.name,
                "messaging.kafka.offset": record.offset,
                "messaging.destination.partition.id": str(record.partition),
                "messaging.kafka.message.key": (record.key or b"").decode(errors="replace"),
            },
        ) as span:
            try:
                envelope = Envelope.from_kafka(record.headers or (), record.value)
                span.set_attribute("messaging.message.id", envelope.id)
                span.set_attribute("cloudevents.event_type", envelope.type)
                handler = self.handlers.get(envelope.type)
                if handler is None:
                    return
                event = envelope.parse()
            except EnvelopeError as exc:
                span.record_exception(exc)
                await self._dead_letter(record, exc, attempts=1)
                return
            await self._apply(record, envelope, event, handler, span)

    async def _apply(
        self,
        record: ConsumerRecord[bytes, bytes],
        envelope: Envelope,
        event: IntegrationEvent,
        handler: Handler,
        span: trace.Span,
    ) -> None:
        attempt = outages = 0
        while True:
            attempt += 1
            try:
                async with unit_of_work(self.sessions, self.source) as uow:
                    fresh = await claim_in_inbox(
                        uow.session,
                        consumer=self.name,
                        event_id=envelope.id,
                        event_type=envelope.type,
                        topic=record.topic,
                        partition=record.partition,
                        offset=record.offset,
                    )
                    if not fresh:
                        span.set_attribute("convene.duplicate", True)
                        return
                    await handler(uow, event, envelope)
                    await uow.commit()
                consumed_counter.add(1, {"consumer": self.name, "event_type": envelope.type})
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                span.record_exception(exc)
                if _is_transient(exc):
                    log.warning(
                        "consumer %s: outage while applying %s; retrying", self.name, envelope.id
                    )
                    outages += 1
                    await asyncio.sleep(min(5.0, self.retry_delay * 2 ** min(outages, 5)))
                    attempt = 0  # an outage is not the handler's fault: its tries start again
                    continue
                if attempt >= self.max_attempts:
                    log.exception(
                        "consumer %s: %s failed %d times", self.name, envelope.id, attempt
                    )
                    await self._dead_letter(record, exc, attempts=attempt)
                    return
                await asyncio.sleep(self.retry_delay * attempt)

    async def _dead_letter(
        self, record: ConsumerRecord[bytes, bytes], error: BaseException, *, attempts: int
    ) -> None:
        while True:
            try:
                await send_to_dead_letter(
                    self.producer, record, consumer=self.name, error=error, attempts=attempts
                )
                log.warning(
                    "consumer %s parked %s[%d]@%d in the DLQ: %s",
                    self.name,
                    record.topic,
                    record.partition,
                    record.offset,
                    error,
                )
                return
            except KafkaError:
                # Never drop an event: until the DLQ takes it, the offset must not move on.
                log.exception("consumer %s cannot reach the DLQ; retrying", self.name)
                await asyncio.sleep(1)

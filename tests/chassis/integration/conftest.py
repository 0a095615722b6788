"""Chassis integration fixtures: one database for the session, a topic and a group per test.

Everything is real: the session's embedded PostgreSQL and Tansu broker (tests/conftest.py).
Tests share the database and the contract topics, so each one finds its own rows and records
by event id or member id, never by counting a whole table or topic.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from chassis_support import SOURCE, TEST_TABLES, group_consumer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from support import eventually

from contracts.registry import dead_letter_topic
from services.chassis.config import KafkaSettings
from services.chassis.consumer import EventConsumer, Handler
from services.chassis.database import create_engine, create_session_factory
from services.chassis.kafka import create_producer, ensure_topics
from services.chassis.outbox import messaging_metadata
from services.chassis.relay import OutboxRelay


@pytest.fixture(scope="session")
async def chassis_database_url(infrastructure) -> str:
    """A database with the chassis tables (outbox, inbox) and the tests' own tables."""
    url: str = await infrastructure.create_database("convene_chassis_tests")
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(messaging_metadata.create_all)
            for statement in TEST_TABLES:
                await conn.execute(text(statement))
    finally:
        await engine.dispose()
    return url


@pytest.fixture(scope="session")
def bootstrap(infrastructure) -> str:
    return str(infrastructure.kafka_bootstrap)


@pytest.fixture(scope="session")
def kafka_settings(bootstrap: str) -> KafkaSettings:
    return KafkaSettings(kafka_bootstrap_servers=bootstrap)


@pytest.fixture(scope="session")
async def contract_topics(bootstrap: str) -> None:
    """Every contract topic and its DLQ, as a service creates them at start."""
    await ensure_topics(bootstrap)


@pytest.fixture
async def engine(chassis_database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(chassis_database_url)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_session_factory(engine)


@pytest.fixture
async def producer(kafka_settings: KafkaSettings) -> AsyncIterator[AIOKafkaProducer]:
    producer = create_producer(kafka_settings, client_id="chassis-tests")
    await producer.start()
    try:
        yield producer
    finally:
        await producer.stop()


@pytest.fixture
async def relay(
    engine: AsyncEngine, producer: AIOKafkaProducer, contract_topics: None
) -> AsyncIterator[OutboxRelay]:
    relay = OutboxRelay(engine, producer, service="test")
    try:
        yield relay
    finally:
        await relay.close()


@pytest.fixture
async def topic(bootstrap: str) -> str:
    """A topic of this test's own (one partition) and its dead-letter topic."""
    name = f"chassis-test-{uuid.uuid4().hex[:12]}.v1"
    await ensure_topics(bootstrap, [name, dead_letter_topic(name)], partitions=1)
    return name


@dataclass
class RunningConsumer:
    """An EventConsumer running in this process, subscribed to the test's topic."""

    event_consumer: EventConsumer
    kafka: AIOKafkaConsumer
    topic: str
    task: asyncio.Task[None]

    async def committed(self) -> int | None:
        """The group's committed offset of the topic's only partition."""
        return await self.kafka.committed(TopicPartition(self.topic, 0))

    async def wait_until_committed(self, offset: int) -> None:
        """Wait until every record before `offset` has been handled and its offset committed."""

        async def reached() -> bool:
            if self.task.done():
                self.task.result()  # a crashed consumer loop fails the test with its error
            committed = await self.committed()
            return committed is not None and committed >= offset

        await eventually(reached)


StartConsumer = Callable[..., Awaitable[RunningConsumer]]


@pytest.fixture
async def start_consumer(
    topic: str,
    kafka_settings: KafkaSettings,
    producer: AIOKafkaProducer,
    sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[StartConsumer]:
    """Start EventConsumers on the test's topic; each is stopped when the test ends."""
    running: list[RunningConsumer] = []

    async def start(
        handlers: Mapping[str, Handler],
        *,
        group: str | None = None,
        max_attempts: int = 3,
        retry_delay: float = 0.01,
    ) -> RunningConsumer:
        group = group or f"chassis-test-{uuid.uuid4().hex[:12]}"
        kafka = group_consumer(kafka_settings, group, topic)
        await kafka.start()
        event_consumer = EventConsumer(
            name=group,
            handlers=handlers,
            consumer=kafka,
            producer=producer,
            sessions=sessions,
            source=SOURCE,
            max_attempts=max_attempts,
            retry_delay=retry_delay,
        )
        task = asyncio.create_task(event_consumer.run())
        consumer = RunningConsumer(event_consumer, kafka, topic, task)
        running.append(consumer)
        await event_consumer.wait_until_assigned()
        return consumer

    try:
        yield start
    finally:
        for consumer in running:
            consumer.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await consumer.task
            await consumer.kafka.stop()

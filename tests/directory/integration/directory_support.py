"""Members with real profiles, made the way production makes them: identity's API (invitation
-> event -> draft), then the member's own token through the gateway (edit, publish)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer
from support import eventually, unique_email

from contracts import Envelope, IntegrationEvent


@dataclass
class Member:
    member_id: str
    headers: dict[str, str]
    full_name: str

    @property
    def path(self) -> str:
        return f"/api/directory/profiles/{self.member_id}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def admin_headers(stack) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return bearer(await stack.admin_token())


async def draft_member(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, stack, full_name: str, organisation: str = "Cabinet Office"
) -> Member:
    admin = await admin_headers(stack)
    created = await client.post(
        "/api/identity/invitations",
        json={
            "full_name": full_name,
            "email": unique_email(full_name.split()[0].lower()),
            "organisation": organisation,
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    member_id = created.json()["member_id"]
    member = Member(member_id, bearer(await stack.token(member_id)), full_name)

    async def draft_exists() -> bool:
        return (await client.get(member.path, headers=member.headers)).status_code == 200

    await eventually(draft_exists)
    return member


BASE_FIELDS: dict[str, Any] = {
    "job_title": "Permanent Secretary",
    "sector": "central_government",
    "region": "london",
}


async def listed_member(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient,
    stack,
    full_name: str,
    organisation: str = "Cabinet Office",
    **fields: Any,
) -> Member:
    """A member whose profile is published with BASE_FIELDS overridden by `fields`."""
    member = await draft_member(client, stack, full_name, organisation)
    patched = await client.patch(member.path, json=BASE_FIELDS | fields, headers=member.headers)
    assert patched.status_code == 200, patched.text
    published = await client.post(f"{member.path}/publish", headers=member.headers)
    assert published.status_code == 200, published.text
    return member


async def publish_as_identity(stack, *events: IntegrationEvent) -> None:  # type: ignore[no-untyped-def]
    """Put events on identity's real topics exactly as identity's relay would (CloudEvents
    binary mode, keyed by aggregate id), for flows identity's API cannot drive yet."""
    producer = AIOKafkaProducer(bootstrap_servers=stack.infrastructure.kafka_bootstrap)
    await producer.start()
    try:
        for event in events:
            envelope = Envelope.wrap(event, source="/convene/identity")
            await producer.send_and_wait(
                event.topic, envelope.value(), key=envelope.key(), headers=envelope.headers()
            )
    finally:
        await producer.stop()


def new_id() -> uuid.UUID:
    return uuid.uuid4()

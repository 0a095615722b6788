"""Members with real profiles, made the way production makes them: identity's API (invitation
-> event -> draft), then the member's own token through the gateway (edit, publish)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer
from support import eventually, unique_email

from contracts import Envelope, IntegrationEvent
from contracts.events.identity import CohortCreatedV1, MemberJoinedCohortV1


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


def tiny_png() -> bytes:
    """A real 1x1 PNG."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


async def connect(client: httpx.AsyncClient, requester: Member, recipient: Member) -> None:
    """A contact request from `requester`, accepted by `recipient`."""
    made = await client.post(
        "/api/directory/contact-requests",
        json={"recipient_id": recipient.member_id, "reason": "We should compare notes on this."},
        headers=requester.headers,
    )
    assert made.status_code == 201, made.text
    accepted = await client.post(
        f"/api/directory/contact-requests/{made.json()['id']}/decision",
        json={"decision": "accept"},
        headers=recipient.headers,
    )
    assert accepted.status_code == 200, accepted.text


class TopicRecorder:
    """Every event on a topic from the beginning, decoded, gathered in the background."""

    def __init__(self, stack, topic: str) -> None:  # type: ignore[no-untyped-def]
        self.stack = stack
        self.topic = topic
        self.events: list[Envelope] = []
        self._task: Any = None

    async def __aenter__(self) -> TopicRecorder:
        import asyncio

        from aiokafka import AIOKafkaConsumer

        self.consumer = AIOKafkaConsumer(
            self.topic,
            bootstrap_servers=self.stack.infrastructure.kafka_bootstrap,
            group_id=f"test-{uuid.uuid4().hex}",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            fetch_max_wait_ms=10,
        )
        await self.consumer.start()

        async def pump() -> None:
            async for record in self.consumer:
                self.events.append(Envelope.from_kafka(record.headers, record.value))

        self._task = asyncio.create_task(pump())
        return self

    async def __aexit__(self, *_: object) -> None:
        self._task.cancel()
        await self.consumer.stop()

    def of(self, event_type: str, subject: str) -> list[Envelope]:
        return [e for e in self.events if e.type == event_type and e.subject == subject]


async def join_new_cohort(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, stack, mark: str, *members: Member
) -> uuid.UUID:
    """A new cohort, every one of `members` in it, and the directory showing so."""
    cohort_id = uuid.uuid4()
    name = f"Leaders {mark}"
    await publish_as_identity(
        stack,
        CohortCreatedV1(
            cohort_id=cohort_id,
            name=name,
            year=2026,
            starts_on=date(2026, 1, 1),
            ends_on=date(2026, 12, 31),
        ),
        *(
            MemberJoinedCohortV1(
                member_id=uuid.UUID(m.member_id),
                cohort_id=cohort_id,
                cohort_year=2026,
                cohort_name=name,
            )
            for m in members
        ),
    )

    async def all_joined() -> bool:
        for m in members:
            body = (await client.get(m.path, headers=m.headers)).json()
            if str(cohort_id) not in [c["id"] for c in body["cohorts"]]:
                return False
        return True

    await eventually(all_joined)
    return cohort_id

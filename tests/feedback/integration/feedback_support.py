"""What the feedback integration tests share: members made real by identity's events,
campaigns created through the gateway, and reading feedback's own events off the broker."""

from __future__ import annotations

import asyncio
import contextlib
import io
import re
import uuid
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from sqlalchemy import text
from support import eventually

from contracts import Envelope, IntegrationEvent
from contracts.events.feedback import CAMPAIGN_TOPIC
from contracts.events.identity import MemberActivatedV1, MemberJoinedCohortV1


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass(frozen=True)
class Leader:
    member_id: str
    headers: dict[str, str]


async def publish_as_identity(stack, *events: IntegrationEvent) -> None:  # type: ignore[no-untyped-def]
    """Put events on their real topics exactly as identity's relay would (CloudEvents, key)."""
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


async def feedback_ready(stack) -> None:  # type: ignore[no-untyped-def]
    """Feedback's consumer has its partitions, so events published now reach it."""
    runtime = stack.runtime("feedback")
    if hasattr(runtime, "wait_until_ready"):  # the chassis that connects in the background
        await runtime.wait_until_ready()
        return
    assert runtime.consumer is not None
    await runtime.consumer.wait_until_assigned()


async def projection_count(stack, member_ids: list[str]) -> int:  # type: ignore[no-untyped-def]
    async with stack.runtime("feedback").engine.connect() as conn:
        return (
            await conn.execute(
                text("SELECT count(*) FROM members WHERE active AND member_id = ANY(:ids)"),
                {"ids": [uuid.UUID(m) for m in member_ids]},
            )
        ).scalar_one()


async def leaders(  # type: ignore[no-untyped-def]
    stack, count: int, *, cohorts: list[tuple[uuid.UUID, str]] | None = None
) -> list[Leader]:
    """`count` active members (cohorts[i] for member i, if given), known to feedback."""
    await feedback_ready(stack)
    ids = [str(uuid.uuid4()) for _ in range(count)]
    events: list[IntegrationEvent] = []
    for i, member_id in enumerate(ids):
        events.append(
            MemberActivatedV1(
                member_id=uuid.UUID(member_id),
                full_name=f"Leader {i}",
                email=f"leader-{member_id[:8]}@example.gov.uk",
                organisation="Cabinet Office",
                roles=["member"],
                activated_at=datetime.now(UTC),
            )
        )
        if cohorts:
            cohort_id, name = cohorts[i]
            events.append(
                MemberJoinedCohortV1(
                    member_id=uuid.UUID(member_id),
                    cohort_id=cohort_id,
                    cohort_year=2026,
                    cohort_name=name,
                )
            )
    await publish_as_identity(stack, *events)

    async def all_known() -> bool:
        return await projection_count(stack, ids) == count

    await eventually(all_known, timeout=30)
    if cohorts:

        async def cohorts_known() -> bool:
            async with stack.runtime("feedback").engine.connect() as conn:
                n = (
                    await conn.execute(
                        text("SELECT count(*) FROM member_cohorts WHERE member_id = ANY(:ids)"),
                        {"ids": [uuid.UUID(m) for m in ids]},
                    )
                ).scalar_one()
            return n == count

        await eventually(cohorts_known, timeout=30)
    return [Leader(m, bearer(await stack.token(m))) for m in ids]


QUESTIONS = [
    {"id": "support", "kind": "rating", "prompt": "How well supported do you feel?"},
    {
        "id": "priority",
        "kind": "single_choice",
        "prompt": "What should come first?",
        "options": ["pay", "skills", "housing"],
    },
    {
        "id": "barriers",
        "kind": "multiple_choice",
        "prompt": "What gets in the way?",
        "options": ["funding", "rules", "time"],
    },
    {"id": "anything", "kind": "free_text", "prompt": "Anything else the PM should hear?"},
]


def campaign_body(**overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    body: dict[str, Any] = {
        "title": "Workforce pressures",
        "question": "What would most help you lead your organisation this year?",
        "context": "The Prime Minister wants to hear from leaders as a group.",
        "audience": "all",
        "anonymity": "anonymous",
        "opens_at": (now - timedelta(minutes=1)).isoformat(),
        "closes_at": (now + timedelta(days=7)).isoformat(),
        "questions": QUESTIONS,
    }
    body.update(overrides)
    return body


async def create_campaign(
    client: httpx.AsyncClient, admin: dict[str, str], **overrides: Any
) -> dict:
    response = await client.post(
        "/api/feedback/campaigns", json=campaign_body(**overrides), headers=admin
    )
    assert response.status_code == 201, response.text
    return response.json()


async def feedback_events(
    stack,  # type: ignore[no-untyped-def]
    campaign_id: str,
    *,
    want: int,
    timeout: float = 20,
    topic: str = CAMPAIGN_TOPIC,
) -> list[Envelope]:
    """Every event feedback published about one campaign on `topic` (default: the internal
    one; `PUBLIC_CAMPAIGN_TOPIC` for what departments see), read from the real broker."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=stack.infrastructure.kafka_bootstrap,
        group_id=f"test-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        fetch_max_wait_ms=10,
    )
    await consumer.start()
    found: list[Envelope] = []
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline and len(found) < want:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    if record.key == campaign_id.encode():
                        found.append(Envelope.from_kafka(record.headers, record.value))
    finally:
        await consumer.stop()
    return found


def pdf_text(pdf: bytes) -> str:
    """The text a PDF shows: every string drawn by its (Flate-compressed) content streams."""
    out = io.StringIO()
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        raw = match.group(1)
        with contextlib.suppress(zlib.error):
            raw = zlib.decompress(raw)
        for literal in re.findall(rb"\((.*?)(?<!\\)\)\s*Tj", raw, re.S):
            out.write(literal.decode("latin-1").replace("\\(", "(").replace("\\)", ")") + "\n")
    return out.getvalue()


async def close_and_wait(client: httpx.AsyncClient, admin: dict[str, str], cid: str) -> dict:
    """Close early and wait for the campaign clock to close it and publish the final report."""
    closing = await client.post(f"/api/feedback/campaigns/{cid}/close", headers=admin)
    assert closing.status_code == 202, closing.text

    async def report() -> dict | None:
        response = await client.get(f"/api/feedback/campaigns/{cid}/report", headers=admin)
        return response.json() if response.status_code == 200 else None

    return await eventually(report, timeout=30)

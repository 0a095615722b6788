"""The pull feed: CloudEvents JSON in log order, opaque cursors, only scoped types."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from subscriptions_support import (
    FOLLOW_UPS,
    REPORTS,
    by_key,
    department,
    follow_up,
    publish_as_feedback,
)
from support import eventually

from services.subscriptions.domain.cursors import CursorSeal, FeedPosition


@pytest.fixture
async def client(stack):  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=20) as client:
        yield client


@pytest.fixture
async def admin(stack) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"Authorization": f"Bearer {await stack.admin_token()}"}


async def read_all(client, headers, *, after=None, types=None, limit=100):  # type: ignore[no-untyped-def]
    """Every page from `after` to the end; returns (events, last cursor, pages)."""
    events, pages = [], 0
    while True:
        params = {"limit": str(limit)}
        if after:
            params["after"] = after
        if types:
            params["types"] = types
        page = await client.get("/api/events", params=params, headers=headers)
        assert page.status_code == 200, page.text
        pages += 1
        body = page.json()
        events.extend(body["events"])
        if not body["events"]:
            return events, after or body["next_cursor"], pages
        after = body["next_cursor"]


async def test_a_closed_campaigns_report_reaches_the_feed_of_departments_holding_the_scope(
    stack, client, admin
) -> None:
    reader = await department(client, admin, [REPORTS])
    other = await department(client, admin, [FOLLOW_UPS])
    _, start, _ = await read_all(client, reader.headers)
    _, other_start, _ = await read_all(client, other.headers)

    # The real owner publishes: feedback closes a campaign and publishes its final report.
    created = await client.post(
        "/api/feedback/campaigns",
        json={
            "title": "Shared services",
            "question": "What should departments share?",
            "context": "For the Cabinet Office.",
            "audience": "all",
            "anonymity": "anonymous",
            "opens_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
            "closes_at": (datetime.now(UTC) + timedelta(days=7)).isoformat(),
            "questions": [{"id": "support", "kind": "rating", "prompt": "How well supported?"}],
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    cid = created.json()["id"]
    closing = await client.post(f"/api/feedback/campaigns/{cid}/close", headers=admin)
    assert closing.status_code == 202

    async def report_seen() -> list | None:
        events, _, _ = await read_all(client, reader.headers, after=start)
        mine = [e for e in events if e["subject"] == cid]
        return mine or None

    [event] = await eventually(report_seen, timeout=30)
    assert event["specversion"] == "1.0"
    assert event["type"] == REPORTS
    assert event["source"] == "/convene/feedback"
    assert event["datacontenttype"] == "application/json"
    assert event["data"]["campaign_id"] == cid
    assert event["data"]["final"] is True
    assert event["time"].endswith("Z")

    # Holding only the follow-up scope, the other department never sees the report.
    seen, _, _ = await read_all(client, other.headers, after=other_start)
    assert all(e["type"] == FOLLOW_UPS for e in seen)
    refused = await client.get("/api/events", params={"types": REPORTS}, headers=other.headers)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"


async def test_pages_are_complete_in_order_and_stable(stack, client, admin) -> None:
    reader = await department(client, admin, [FOLLOW_UPS])
    _, start, _ = await read_all(client, reader.headers)
    campaigns = [uuid.uuid4() for _ in range(3)]
    published = await publish_as_feedback(
        stack, [follow_up(campaigns[n % 3], n) for n in range(25)]
    )

    async def all_there() -> list | None:
        events, _, _ = await read_all(client, reader.headers, after=start, limit=7)
        return events if len(events) >= 25 else None

    events = await eventually(all_there, timeout=30)
    ids = [e["id"] for e in events]
    assert sorted(ids) == sorted(published)  # complete, nothing twice
    # Each key's events in the order they were published (keys are on different partitions,
    # so only per-key order is promised).
    expected = {
        str(key): [i for n, i in enumerate(published) if campaigns[n % 3] == key]
        for key in campaigns
    }
    assert by_key(events) == expected
    # Reading again from the same cursor, in pages of another size, gives the same events.
    again, _, pages = await read_all(client, reader.headers, after=start, limit=7)
    assert [e["id"] for e in again] == ids
    assert pages >= 5  # 25 events in pages of 7, then the empty page that ends it
    bigger, _, _ = await read_all(client, reader.headers, after=start, limit=100)
    assert [e["id"] for e in bigger] == ids
    # An empty page hands back a cursor to poll with, which then finds only what is new.
    _, end, _ = await read_all(client, reader.headers, after=start)
    later = await publish_as_feedback(stack, [follow_up(campaigns[0], 99)])

    async def new_one() -> list | None:
        found, _, _ = await read_all(client, reader.headers, after=end)
        return found or None

    assert [e["id"] for e in await eventually(new_one)] == later


async def test_the_feed_starts_from_a_time(stack, client, admin) -> None:
    reader = await department(client, admin, [FOLLOW_UPS])
    before = datetime.now(UTC) - timedelta(seconds=1)
    key = uuid.uuid4()  # one key: its events keep their order
    ids = await publish_as_feedback(stack, [follow_up(key, n) for n in range(3)])

    async def from_time() -> list | None:
        page = await client.get(
            "/api/events", params={"since": before.isoformat()}, headers=reader.headers
        )
        found = [e["id"] for e in page.json()["events"]]
        return found if set(ids) <= set(found) else None

    found = await eventually(from_time)
    assert [i for i in found if i in ids] == ids


async def test_bad_feed_requests_are_problems_never_errors(stack, client, admin) -> None:
    reader = await department(client, admin, [FOLLOW_UPS])
    page = await client.get("/api/events", headers=reader.headers)
    cursor = page.json()["next_cursor"]
    tampered = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")
    settings = stack.runtime("subscriptions").settings
    seal = CursorSeal(settings.cursor_key.get_secret_value().encode())
    expired = seal.encode(FeedPosition(1, datetime.now(UTC) - timedelta(days=30)))
    cases = {
        "tampered cursor": ({"after": tampered}, 400),
        "garbage cursor": ({"after": "not-a-cursor!"}, 400),
        "forged cursor": (
            {"after": CursorSeal(b"k" * 32).encode(FeedPosition(1, datetime.now(UTC)))},
            400,
        ),
        "expired cursor": ({"after": expired}, 410),
        "too old a time": ({"since": (datetime.now(UTC) - timedelta(days=30)).isoformat()}, 410),
        "unknown type": ({"types": "identity.member.invited.v1"}, 422),
        "made-up type": ({"types": "nothing.at.all.v9"}, 422),
        "huge limit": ({"limit": "100000"}, 422),
        "bad time": ({"since": "yesterday"}, 422),
    }
    for name, (params, status) in cases.items():
        response = await client.get("/api/events", params=params, headers=reader.headers)
        assert response.status_code == status, (name, response.text)
        assert response.headers["content-type"] == "application/problem+json", name

    member = {"Authorization": f"Bearer {await stack.token(str(uuid.uuid4()))}"}
    assert (await client.get("/api/events", headers=member)).status_code == 403
    assert (await client.get("/api/events")).status_code == 401

"""Curation through the gateway: who may take each step, what each step publishes."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from content_support import article, publish
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from services.content.entrypoints.worker import PublishingScheduler


async def test_a_member_cannot_write_submit_approve_or_publish(client, people) -> None:
    _, member = await people.member()
    response = await client.post("/items", json=article(), headers=member)
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"

    author = await people.curator()
    item_id = (await client.post("/items", json=article(), headers=author)).json()["id"]
    for action in ("submit", "approve", "publish", "withdraw"):
        response = await client.post(f"/items/{item_id}/{action}", headers=member)
        assert response.status_code == 403, action


async def test_a_curator_cannot_approve_their_own_item(client, people) -> None:
    author = await people.curator()
    item_id = (await client.post("/items", json=article(), headers=author)).json()["id"]
    assert (await client.post(f"/items/{item_id}/submit", headers=author)).status_code == 200

    own = await client.post(f"/items/{item_id}/approve", headers=author)
    assert own.status_code == 403
    assert "another curator" in own.json()["detail"]

    other = await client.post(f"/items/{item_id}/approve", headers=await people.admin())
    assert other.status_code == 200
    assert other.json()["status"] == "approved"


async def test_illegal_transitions_are_409_and_nothing_changes(client, people) -> None:
    author = await people.curator()
    item_id = (await client.post("/items", json=article(), headers=author)).json()["id"]
    response = await client.post(f"/items/{item_id}/publish", headers=author)
    assert response.status_code == 409
    assert response.json()["title"] == "Not allowed now"
    response = await client.post(f"/items/{item_id}/approve", headers=await people.curator())
    assert response.status_code == 409
    item = await client.get(f"/items/{item_id}", headers=author)
    assert item.json()["status"] == "draft"


async def test_every_step_is_audited_and_publishing_emits_events(client, people, stack) -> None:
    item = await publish(client, people, article(title="Leading through change"))
    item_id = item["id"]
    curator = await people.curator()
    update = article(title="Leading through change (updated)")
    updated = await client.put(f"/items/{item_id}", json=update, headers=curator)
    assert updated.status_code == 200
    assert updated.json()["version"] == 2
    withdrawn = await client.post(
        f"/items/{item_id}/withdraw", json={"note": "Out of date"}, headers=curator
    )
    assert withdrawn.json()["status"] == "withdrawn"

    audit = (await client.get(f"/items/{item_id}/audit", headers=curator)).json()
    assert [(a["action"], a["to_status"]) for a in audit] == [
        ("create", "draft"),
        ("submit", "submitted"),
        ("approve", "approved"),
        ("publish", "published"),
        ("update", "published"),
        ("withdraw", "withdrawn"),
    ]
    async with stack.runtime("content").engine.connect() as conn:
        rows = (
            await conn.execute(
                text("SELECT event_type, value FROM outbox WHERE key = :key ORDER BY id"),
                {"key": item_id},
            )
        ).all()
    assert [r.event_type for r in rows] == [
        "content.item.published.v1",
        "content.item.updated.v1",
        "content.item.withdrawn.v1",
    ]
    assert json.loads(bytes(rows[2].value))["reason"] == "Out of date"


async def test_the_audit_log_is_append_only(client, people, stack) -> None:
    item = await publish(client, people, article())
    async with stack.runtime("content").engine.connect() as conn:
        with pytest.raises(DBAPIError, match="append-only"):
            await conn.execute(
                text("DELETE FROM item_audit WHERE item_id = :id"), {"id": item["id"]}
            )


async def test_a_scheduled_item_is_published_once_by_concurrent_schedulers(
    client, people, stack
) -> None:
    author = await people.curator()
    item_id = (await client.post("/items", json=article(), headers=author)).json()["id"]
    await client.post(f"/items/{item_id}/submit", headers=author)
    await client.post(f"/items/{item_id}/approve", headers=await people.curator())
    when = datetime.now(UTC) + timedelta(seconds=2)
    scheduled = await client.post(
        f"/items/{item_id}/publish", json={"publish_at": when.isoformat()}, headers=author
    )
    assert scheduled.json()["status"] == "scheduled"
    runtime = stack.runtime("content")
    # The service's own scheduler runs too: with three extra replicas racing it, still once.
    schedulers = [PublishingScheduler(runtime) for _ in range(3)]
    await asyncio.sleep(max((when - datetime.now(UTC)).total_seconds(), 0))
    await asyncio.gather(*(s.tick() for s in schedulers))
    item = (await client.get(f"/items/{item_id}", headers=author)).json()
    assert item["status"] == "published"
    async with runtime.engine.connect() as conn:
        count = await conn.scalar(
            text("SELECT count(*) FROM outbox WHERE key = :key AND event_type = :type"),
            {"key": item_id, "type": "content.item.published.v1"},
        )
        audits = await conn.scalar(
            text("SELECT count(*) FROM item_audit WHERE item_id = :id AND action = :a"),
            {"id": item_id, "a": "publish_scheduled"},
        )
    assert (count, audits) == (1, 1)


async def test_publish_at_in_the_past_publishes_now_and_bad_dates_are_422(client, people) -> None:
    author = await people.curator()
    item_id = (await client.post("/items", json=article(), headers=author)).json()["id"]
    await client.post(f"/items/{item_id}/submit", headers=author)
    await client.post(f"/items/{item_id}/approve", headers=await people.curator())
    naive = await client.post(
        f"/items/{item_id}/publish", json={"publish_at": "2030-01-01T09:00:00"}, headers=author
    )
    assert naive.status_code == 422
    garbage = await client.post(
        f"/items/{item_id}/publish", json={"publish_at": "next tuesday"}, headers=author
    )
    assert garbage.status_code == 422
    past = await client.post(
        f"/items/{item_id}/publish", json={"publish_at": "2020-01-01T09:00:00Z"}, headers=author
    )
    assert past.json()["status"] == "published"


def elements_of(html: str) -> tuple[set[str], list[tuple[str, str]]]:
    """Tags and attributes a browser would build from `html`."""
    from html.parser import HTMLParser

    found: tuple[set[str], list[tuple[str, str]]] = (set(), [])

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
            found[0].add(tag)
            found[1].extend((name, value or "") for name, value in attrs)

    Collect().feed(html)
    return found


async def test_unsafe_markdown_is_sanitised(client, people) -> None:
    body = article(
        title="<script>alert(1)</script>Hello",
        body_markdown=(
            "Hi <script>alert('x')</script>\n\n"
            "[click](javascript:alert(1)) <img src=x onerror=alert(1)>\n\n"
            '<a href="https://gov.uk" onclick="evil()">ok</a>'
        ),
    )
    created = await client.post("/items", json=body, headers=await people.curator())
    assert created.status_code == 201
    item = created.json()
    tags, attributes = elements_of(item["body_html"])
    assert tags <= {"p", "a", "strong", "em"}
    assert not [name for name, _ in attributes if name.startswith("on")]
    assert all(value.startswith("https://") for name, value in attributes if name == "href")
    assert item["title"] == "Hello"


async def test_bad_items_are_problems_not_500s(client, people) -> None:
    curator = await people.curator()
    cases = [
        {"kind": "event", "title": "No date", "place": "Leeds"},
        {
            "kind": "event",
            "title": "Ends first",
            "place": "Leeds",
            "starts_at": "2030-01-02T10:00:00Z",
            "ends_at": "2030-01-02T09:00:00Z",
        },
        {"kind": "event", "title": "Nowhere", "starts_at": "2030-01-02T10:00:00Z"},
        {"kind": "event", "title": "Bad date", "starts_at": "2030-02-30T10:00:00Z", "place": "x"},
        {
            "kind": "event",
            "title": "Capacity",
            "starts_at": "2030-01-02T10:00:00Z",
            "place": "x",
            "capacity": 0,
        },
        {"kind": "resource", "title": "No link"},
        {"kind": "resource", "title": "Bad link", "link_url": "javascript:alert(1)"},
        {"kind": "support_offer", "title": "No type"},
        {"kind": "article", "title": "Cohort-only", "audience": "cohorts"},
        {"kind": "article", "title": "Unknown topic", "topics": ["no-such-topic"]},
        {"kind": "article", "title": "x" * 201},
        {"kind": "article", "title": "Huge", "body_markdown": "x" * 100_001},
        {"kind": "podcast", "title": "Unknown kind"},
    ]
    for body in cases:
        response = await client.post("/items", json=body, headers=curator)
        assert response.status_code == 422, (body["title"], response.text)
        assert response.headers["content-type"] == "application/problem+json"
    assert (await client.get(f"/items/{uuid.uuid4()}", headers=curator)).status_code == 404
    assert (await client.get("/items/not-a-uuid", headers=curator)).status_code == 422

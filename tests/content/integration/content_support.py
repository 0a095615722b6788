"""Helpers for the content tests (importable as `content_support`: pytest puts this folder on
sys.path): item bodies, and taking an item through review to published."""

from __future__ import annotations

import uuid
from typing import Any

import httpx


def article(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "article",
        "title": f"Article {uuid.uuid4().hex[:8]}",
        "summary": "A short summary.",
        "body_markdown": "Some **bold** words.",
    }
    body.update(overrides)
    return body


def event_item(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "event",
        "title": f"Event {uuid.uuid4().hex[:8]}",
        "summary": "Breakfast briefing.",
        "starts_at": "2030-03-01T08:30:00Z",
        "ends_at": "2030-03-01T10:00:00Z",
        "place": "70 Whitehall, London",
        "capacity": 3,
    }
    body.update(overrides)
    return body


async def publish(client: httpx.AsyncClient, people: Any, body: dict[str, Any]) -> dict[str, Any]:
    """Draft, submit, approve (by a second curator) and publish an item; returns it."""
    author = await people.curator()
    created = await client.post("/items", json=body, headers=author)
    assert created.status_code == 201, created.text
    item_id = created.json()["id"]
    assert (await client.post(f"/items/{item_id}/submit", headers=author)).status_code == 200
    approved = await client.post(f"/items/{item_id}/approve", headers=await people.curator())
    assert approved.status_code == 200, approved.text
    published = await client.post(f"/items/{item_id}/publish", headers=author)
    assert published.status_code == 200, published.text
    return dict(published.json())

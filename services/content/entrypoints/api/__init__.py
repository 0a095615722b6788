"""Content's HTTP routes, one module per sub-domain: thin, they validate, call a handler or a
view, and commit."""

from __future__ import annotations

from fastapi import APIRouter

from services.content.entrypoints.api import (
    digests,
    documents,
    items,
    preferences,
    reading,
    rsvps,
    topics,
)

ROUTERS: list[APIRouter] = [
    topics.router,
    reading.router,
    preferences.router,
    digests.router,
    rsvps.router,
    items.router,
    documents.router,
]

"""Directory's HTTP routes, one module per part of the API: thin, they validate, call a handler
or a view, and commit. `dependencies` holds what they share; `search` is the hot path, answered
before FastAPI's router (`direct_routes`) with its query read in one validation (`query_model`).
"""

from __future__ import annotations

from fastapi import APIRouter

from services.directory.entrypoints.api import (
    admin,
    contacts,
    delegates,
    organisations,
    photos,
    profiles,
    search,
)

#: In the order they were declared before the split, so OpenAPI lists paths as it did.
ROUTERS: list[APIRouter] = [
    search.router,
    profiles.router,
    photos.router,
    contacts.router,
    delegates.router,
    contacts.requests_router,
    organisations.router,
    organisations.reference_router,
    admin.router,
]

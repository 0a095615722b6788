"""The pull feed: public events in log order, as CloudEvents JSON, behind a sealed cursor."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from services.chassis.problems import Problem
from services.chassis.runtime import UnitOfWorkDep
from services.subscriptions import views
from services.subscriptions.domain.cursors import CursorSeal
from services.subscriptions.domain.model import check_types, granted_types
from services.subscriptions.entrypoints.api.dependencies import (
    PROBLEMS,
    SettingsDep,
    SubscriberDep,
    domain_call,
    retention,
)
from services.subscriptions.schemas import FeedRead

feed = APIRouter(prefix="/events", tags=["pull feed"])


@feed.get("", summary="Public events in order, as CloudEvents JSON", response_model=FeedRead)
async def read_feed(
    uow: UnitOfWorkDep,
    principal: SubscriberDep,
    settings: SettingsDep,
    after: Annotated[str | None, Query(max_length=200, description="`next_cursor`")] = None,
    since: Annotated[datetime | None, Query(description="Start from this time instead")] = None,
    types: Annotated[
        str | None, Query(max_length=4000, description="Comma-separated event types")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> FeedRead:
    """Only the types your token's scopes grant; `types` narrows them (403 for others)."""
    if since is not None and since.tzinfo is None:
        raise Problem(400, "Bad time", "Give `since` with a time zone, e.g. ...Z.", "bad-time")
    if types:
        named = [t.strip() for t in types.split(",") if t.strip()]
        wanted = domain_call(lambda: check_types(named, principal.scopes))
    else:
        wanted = sorted(granted_types(principal.scopes))
    seal = CursorSeal(settings.cursor_key.get_secret_value().encode())
    position = domain_call(lambda: seal.decode(after)) if after else None
    page = await PROBLEMS.run(
        views.feed_page(
            uow.session,
            types=wanted,
            after=position,
            since=since,
            limit=limit,
            retention=retention(settings),
        )
    )
    return FeedRead(
        events=[views.cloud_event(event) for event in page.events],
        next_cursor=seal.encode(page.next_position),
    )

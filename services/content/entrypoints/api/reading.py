"""What members read: their personalised feed and search."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from services.chassis.auth import CurrentMember
from services.chassis.pagination import PageCursor
from services.chassis.runtime import UnitOfWorkDep
from services.content.entrypoints.api.dependencies import Limit
from services.content.schemas import FeedEntryRead, FeedPage, ItemSummary, SearchPage
from services.content.views import reading
from services.content.views.readers import reader_context

router = APIRouter(tags=["feed and search"])


@router.get("/feed", summary="Your personalised feed, best first, with reasons")
async def feed(
    uow: UnitOfWorkDep, member_id: CurrentMember, limit: Limit = 20, cursor: PageCursor = None
) -> FeedPage:
    after = reading.RankCursor.decode(cursor) if cursor else None
    now = after.now if after is not None and after.now is not None else datetime.now(UTC)
    context = await reader_context(uow.session, member_id)
    entries = await reading.feed(uow.session, context, now=now, limit=limit, after=after)
    next_cursor = (
        reading.RankCursor(entries[-1].score, entries[-1].item.id, now).encode()
        if len(entries) == limit
        else None
    )
    return FeedPage(
        items=[
            FeedEntryRead(
                item=ItemSummary.model_validate(e.item),
                score=round(e.score, 4),
                reasons=e.ranked.reasons,
                read=e.read,
            )
            for e in entries
        ],
        next_cursor=next_cursor,
    )


@router.get("/search", summary="Search published items (full text, topic, kind)")
async def search(
    uow: UnitOfWorkDep,
    member_id: CurrentMember,
    q: Annotated[str | None, Query(max_length=200)] = None,
    topic: Annotated[str | None, Query(max_length=80)] = None,
    kind: Literal["article", "event", "resource", "support_offer"] | None = None,
    limit: Limit = 20,
    cursor: PageCursor = None,
) -> SearchPage:
    after = reading.RankCursor.decode(cursor) if cursor else None
    context = await reader_context(uow.session, member_id)
    hits = await reading.search(
        uow.session,
        context,
        text=q.strip() if q and q.strip() else None,
        topic=topic,
        kind=kind,
        limit=limit,
        after=after,
    )
    next_cursor = (
        reading.RankCursor(hits[-1].rank, hits[-1].item.id).encode() if len(hits) == limit else None
    )
    return SearchPage(
        items=[ItemSummary.model_validate(h.item) for h in hits], next_cursor=next_cursor
    )

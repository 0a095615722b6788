"""Content's HTTP routes: thin, they validate, call a handler or a view, and commit."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Annotated, Literal, TypeVar
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Form, Query, Request, Response, status
from fastapi.responses import HTMLResponse

from services.chassis.auth import CurrentPrincipal, require_role
from services.chassis.pagination import Cursor, PageCursor, PageSize
from services.chassis.problems import DomainProblems, Problem
from services.chassis.runtime import ServiceRuntime, UnitOfWorkDep
from services.chassis.tokens import Principal
from services.content import digests, handlers, links, views
from services.content.config import ContentSettings
from services.content.domain import commands
from services.content.domain.errors import (
    ContentError,
    EventClosed,
    IllegalTransition,
    InvalidItem,
    ItemNotFound,
    LinkNotValid,
    NoRsvp,
    NotAnEvent,
    NotPermitted,
    ProfileFromDirectory,
    TopicExists,
    TopicNotFound,
    UnsupportedDocument,
    UploadTooLarge,
)
from services.content.domain.model import Actor
from services.content.entrypoints import calendar, syndication
from services.content.entrypoints.workers import build_weekly_digests
from services.content.schemas import (
    AttendeeRead,
    AuditEntryRead,
    DigestPreference,
    DigestRunCreate,
    DigestRunRead,
    FeedEntryRead,
    FeedPage,
    FeedTokenRead,
    ItemPage,
    ItemRead,
    ItemSummary,
    ItemWrite,
    ProfileRead,
    ProfileWrite,
    PublishedItemRead,
    RsvpRead,
    SearchPage,
    TopicCreate,
    TopicPreferenceRead,
    TopicPreferenceWrite,
    TopicRead,
    WorkflowStep,
)

WorkflowStepBody = Annotated[WorkflowStep | None, Body()]

T = TypeVar("T")

# Domain error -> (status, title, problem code). One table, so every route answers alike.
PROBLEMS = DomainProblems(
    ContentError,
    {
        ItemNotFound: (404, "Not found", "item-not-found"),
        TopicNotFound: (404, "Not found", "topic-not-found"),
        TopicExists: (409, "Topic exists", "topic-exists"),
        NotPermitted: (403, "Forbidden", "forbidden"),
        IllegalTransition: (409, "Not allowed now", "illegal-transition"),
        InvalidItem: (422, "Invalid item", "invalid-item"),
        NotAnEvent: (409, "Not an event", "not-an-event"),
        EventClosed: (409, "RSVPs closed", "rsvp-closed"),
        NoRsvp: (404, "Not found", "no-rsvp"),
        ProfileFromDirectory: (409, "Profile kept by the directory", "profile-from-directory"),
        LinkNotValid: (400, "Link not valid", "link-not-valid"),
        UploadTooLarge: (413, "Request too large", "too-large"),
        UnsupportedDocument: (415, "Unsupported document", "unsupported-document"),
    },
)
as_problem = PROBLEMS.problem
run = PROBLEMS.run


async def _settings(request: Request) -> ContentSettings:
    settings: ContentSettings = request.app.state.runtime.settings
    return settings


def _member_id(principal: Principal) -> UUID:
    try:
        return UUID(principal.subject)
    except ValueError:
        raise Problem(
            403, "Forbidden", "Only members have feeds, RSVPs and preferences.", "not-a-member"
        ) from None


def _actor(principal: Principal) -> Actor:
    return Actor(principal.subject, principal.roles)


SettingsDep = Annotated[ContentSettings, Depends(_settings)]
Curator = Annotated[Principal, Depends(require_role("curator", "programme_admin"))]
ProgrammeAdmin = Annotated[Principal, Depends(require_role("programme_admin"))]
Limit = Annotated[int, Query(ge=1, le=100)]

topics_router = APIRouter(tags=["topics"])
items_router = APIRouter(prefix="/items", tags=["items"])
reading_router = APIRouter(tags=["feed and search"])
events_router = APIRouter(prefix="/items", tags=["events"])
me_router = APIRouter(prefix="/me", tags=["my preferences"])
digests_router = APIRouter(prefix="/digests", tags=["digests"])


def _fields(body: ItemWrite) -> commands.ItemFields:
    return commands.ItemFields(
        kind=body.kind,
        title=body.title,
        summary=body.summary,
        body_markdown=body.body_markdown,
        topics=body.topics,
        sectors=body.sectors,
        expertise=body.expertise,
        regions=body.regions,
        audience=body.audience,
        audience_cohort_ids=body.audience_cohort_ids,
        audience_sectors=body.audience_sectors,
        shared_with_departments=body.shared_with_departments,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        place=body.place,
        online_url=str(body.online_url) if body.online_url else None,
        capacity=body.capacity,
        link_url=str(body.link_url) if body.link_url else None,
        document_type=body.document_type,
        document_size_bytes=body.document_size_bytes,
        offer_type=body.offer_type,
        how_to_join=body.how_to_join,
    )


# -- topics --------------------------------------------------------------------------------


@topics_router.get("/topics", summary="Every topic")
async def list_topics(uow: UnitOfWorkDep, _: CurrentPrincipal) -> list[TopicRead]:
    return [TopicRead.model_validate(t) for t in await views.topics(uow.session)]


@topics_router.post("/topics", status_code=status.HTTP_201_CREATED, summary="Create a topic")
async def create_topic(body: TopicCreate, uow: UnitOfWorkDep, curator: Curator) -> TopicRead:
    topic = await run(
        handlers.create_topic(
            commands.CreateTopic(
                name=body.name, description=body.description, actor=curator.subject, slug=body.slug
            ),
            uow,
        )
    )
    await uow.commit()
    return TopicRead.model_validate(topic)


@topics_router.get(
    "/topics/{slug}/feed.atom",
    summary="Atom feed of a topic for feed readers (?token= your feed token)",
    response_class=Response,
)
async def topic_feed(
    slug: str, uow: UnitOfWorkDep, settings: SettingsDep, token: str = ""
) -> Response:
    # Feed readers cannot send bearer tokens, so the member's revocable feed token is in the URL.
    member = (
        await views.member_by_feed_token(uow.session, links.hash_token(token)) if token else None
    )
    if member is None:
        raise Problem(
            401, "Unauthorised", "Add ?token= with your current feed token.", "bad-feed-token"
        )
    topic = await views.topic(uow.session, slug)
    if topic is None:
        raise Problem(404, "Not found", f"There is no topic {slug!r}.", "topic-not-found")
    context = await views.reader_context(uow.session, member.member_id)
    items = await views.topic_items(uow.session, context, slug, limit=50)
    base = settings.public_base_url.rstrip("/")
    body = syndication.atom_feed(
        topic, items, base_url=base, self_url=f"{base}/api/content/topics/{slug}/feed.atom"
    )
    return Response(body, media_type="application/atom+xml; charset=utf-8")


# -- curation ------------------------------------------------------------------------------


@items_router.post("", status_code=status.HTTP_201_CREATED, summary="Write a draft item")
async def create_item(body: ItemWrite, uow: UnitOfWorkDep, curator: Curator) -> ItemRead:
    item = await run(handlers.create_item(commands.CreateItem(_fields(body), _actor(curator)), uow))
    await uow.commit()
    return ItemRead.model_validate(item)


@items_router.get("", summary="Items at any stage of curation, newest first")
async def list_items(
    uow: UnitOfWorkDep,
    _: Curator,
    limit: PageSize = 20,
    cursor: PageCursor = None,
    status_: Annotated[
        Literal["draft", "submitted", "approved", "scheduled", "published", "withdrawn"] | None,
        Query(alias="status"),
    ] = None,
    kind: Literal["article", "event", "resource", "support_offer"] | None = None,
) -> ItemPage:
    after = Cursor.decode(cursor) if cursor else None
    rows = await views.list_items(uow.session, status=status_, kind=kind, limit=limit, after=after)
    next_cursor = Cursor(rows[-1].created_at, rows[-1].id).encode() if len(rows) == limit else None
    return ItemPage(items=[ItemRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@items_router.get(
    "/{item_id}",
    summary="One item: curators see any, members a published one meant for them (read)",
    response_model=ItemRead | PublishedItemRead,
)
async def get_item(
    item_id: UUID, uow: UnitOfWorkDep, principal: CurrentPrincipal
) -> ItemRead | PublishedItemRead:
    if _actor(principal).is_curator:
        item = await views.item(uow.session, item_id)
        if item is None:
            raise Problem(404, "Not found", str(ItemNotFound()), "item-not-found")
        return ItemRead.model_validate(item)
    member_id = _member_id(principal)
    context = await views.reader_context(uow.session, member_id)
    visible = await views.visible_item(uow.session, item_id, context)
    if visible is None:
        raise Problem(404, "Not found", str(ItemNotFound()), "item-not-found")
    await handlers.record_read(commands.RecordRead(member_id=member_id, item_id=item_id), uow)
    await uow.commit()
    return PublishedItemRead.model_validate(visible)


@items_router.put("/{item_id}", summary="Change a draft, or update a published item")
async def edit_item(
    item_id: UUID, body: ItemWrite, uow: UnitOfWorkDep, curator: Curator, settings: SettingsDep
) -> ItemRead:
    item = await run(
        handlers.edit_item(
            commands.EditItem(item_id, _fields(body), _actor(curator)), uow, settings
        )
    )
    await uow.commit()
    return ItemRead.model_validate(item)


@items_router.post(
    "/{item_id}/{action}",
    summary="A workflow step: submit, return, approve, publish (now or at publish_at), "
    "unschedule, withdraw",
    responses={403: {"description": "Not yours to take"}, 409: {"description": "Not now"}},
)
async def move_item(
    item_id: UUID,
    action: Literal["submit", "return", "approve", "publish", "unschedule", "withdraw"],
    uow: UnitOfWorkDep,
    principal: CurrentPrincipal,
    settings: SettingsDep,
    body: WorkflowStepBody = None,
) -> ItemRead:
    step = body or WorkflowStep()
    item = await run(
        handlers.move_item(
            commands.MoveItem(
                item_id=item_id,
                action=action,
                actor=_actor(principal),
                publish_at=step.publish_at,
                note=step.note,
            ),
            uow,
            settings,
        )
    )
    await uow.commit()
    return ItemRead.model_validate(item)


@items_router.get("/{item_id}/audit", summary="Every workflow step of an item, oldest first")
async def item_audit(item_id: UUID, uow: UnitOfWorkDep, _: Curator) -> list[AuditEntryRead]:
    return [AuditEntryRead.model_validate(e) for e in await views.item_audit(uow.session, item_id)]


@items_router.put(
    "/{item_id}/document",
    summary="Upload a resource's document (raw body; Content-Type says what it is)",
    openapi_extra={
        "requestBody": {"content": {"application/octet-stream": {"schema": {"type": "string"}}}}
    },
)
async def upload_document(
    item_id: UUID,
    request: Request,
    uow: UnitOfWorkDep,
    curator: Curator,
    settings: SettingsDep,
    filename: Annotated[str, Query(min_length=1, max_length=200)] = "document",
) -> ItemRead:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    document_type = DOCUMENT_TYPES.get(content_type)
    if document_type is None:
        raise as_problem(UnsupportedDocument(sorted(set(DOCUMENT_TYPES.values()))))
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > settings.document_max_bytes:
            raise as_problem(UploadTooLarge(settings.document_max_bytes))
    if not data:
        raise Problem(422, "Invalid item", "The document is empty.", "invalid-item")
    item = await run(
        handlers.attach_document(
            uow,
            item_id=item_id,
            actor=_actor(curator),
            filename=filename,
            content_type=content_type,
            data=bytes(data),
            document_type=document_type,
            settings=settings,
        )
    )
    await uow.commit()
    return ItemRead.model_validate(item)


@items_router.get("/{item_id}/document", summary="Download a resource's document")
async def download_document(
    item_id: UUID, uow: UnitOfWorkDep, principal: CurrentPrincipal
) -> Response:
    if not _actor(principal).is_curator:
        context = await views.reader_context(uow.session, _member_id(principal))
        if await views.visible_item(uow.session, item_id, context) is None:
            raise Problem(404, "Not found", str(ItemNotFound()), "item-not-found")
    document = await views.document(uow.session, item_id)
    if document is None:
        raise Problem(404, "Not found", "This item has no document.", "no-document")
    safe_name = "".join(c for c in document.filename if c.isalnum() or c in "._- ") or "document"
    return Response(
        document.data,
        media_type=document.content_type,
        headers={"content-disposition": f'attachment; filename="{safe_name}"'},
    )


#: Upload content types we accept, and the document type each becomes.
DOCUMENT_TYPES = {
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/vnd.oasis.opendocument.presentation": "odp",
    "text/csv": "csv",
    "text/plain": "txt",
}


# -- feed and search -----------------------------------------------------------------------


@reading_router.get("/feed", summary="Your personalised feed, best first, with reasons")
async def feed(
    uow: UnitOfWorkDep, principal: CurrentPrincipal, limit: Limit = 20, cursor: PageCursor = None
) -> FeedPage:
    member_id = _member_id(principal)
    after = views.RankCursor.decode(cursor) if cursor else None
    now = after.now if after is not None and after.now is not None else datetime.now(UTC)
    context = await views.reader_context(uow.session, member_id)
    entries = await views.feed(uow.session, context, now=now, limit=limit, after=after)
    next_cursor = (
        views.RankCursor(entries[-1].score, entries[-1].item.id, now).encode()
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


@reading_router.get("/search", summary="Search published items (full text, topic, kind)")
async def search(
    uow: UnitOfWorkDep,
    principal: CurrentPrincipal,
    q: Annotated[str | None, Query(max_length=200)] = None,
    topic: Annotated[str | None, Query(max_length=80)] = None,
    kind: Literal["article", "event", "resource", "support_offer"] | None = None,
    limit: Limit = 20,
    cursor: PageCursor = None,
) -> SearchPage:
    after = views.RankCursor.decode(cursor) if cursor else None
    context = await views.reader_context(uow.session, _member_id(principal))
    hits = await views.search(
        uow.session,
        context,
        text=q.strip() if q and q.strip() else None,
        topic=topic,
        kind=kind,
        limit=limit,
        after=after,
    )
    next_cursor = (
        views.RankCursor(hits[-1].rank, hits[-1].item.id).encode() if len(hits) == limit else None
    )
    return SearchPage(
        items=[ItemSummary.model_validate(h.item) for h in hits], next_cursor=next_cursor
    )


# -- events --------------------------------------------------------------------------------


async def _rsvp_read(
    uow: UnitOfWorkDep, item_id: UUID, status_: str, position: int | None
) -> RsvpRead:
    item = await views.item(uow.session, item_id)
    assert item is not None
    return RsvpRead(
        item_id=item_id,
        status=status_,
        waiting_list_position=position,
        places_taken=await views.places_taken(uow.session, item_id),
        capacity=item.capacity,
    )


@events_router.put(
    "/{item_id}/rsvp",
    summary="RSVP: a place if one is free, otherwise the waiting list",
)
async def rsvp(item_id: UUID, uow: UnitOfWorkDep, principal: CurrentPrincipal) -> RsvpRead:
    member_id = _member_id(principal)
    row, position = await run(
        handlers.rsvp(commands.Rsvp(member_id=member_id, item_id=item_id), uow)
    )
    await uow.commit()
    return await _rsvp_read(uow, item_id, row.status, position)


@events_router.get("/{item_id}/rsvp", summary="Your RSVP")
async def my_rsvp(item_id: UUID, uow: UnitOfWorkDep, principal: CurrentPrincipal) -> RsvpRead:
    row = await views.rsvp(uow.session, item_id, _member_id(principal))
    if row is None:
        raise Problem(404, "Not found", str(NoRsvp()), "no-rsvp")
    return await _rsvp_read(uow, item_id, row.status, await handlers.waiting_position(uow, row))


@events_router.delete(
    "/{item_id}/rsvp",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Cancel your RSVP; a freed place goes to the first on the waiting list",
)
async def cancel_rsvp(
    item_id: UUID, uow: UnitOfWorkDep, principal: CurrentPrincipal, settings: SettingsDep
) -> Response:
    await run(
        handlers.cancel_rsvp(
            commands.CancelRsvp(member_id=_member_id(principal), item_id=item_id), uow, settings
        )
    )
    await uow.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@events_router.get("/{item_id}/attendees", summary="Places and waiting list of an event")
async def attendees(item_id: UUID, uow: UnitOfWorkDep, _: Curator) -> list[AttendeeRead]:
    return [AttendeeRead.model_validate(r) for r in await views.attendees(uow.session, item_id)]


@events_router.get(
    "/{item_id}/calendar.ics", summary="The event as an iCalendar file", response_class=Response
)
async def event_calendar(
    item_id: UUID, uow: UnitOfWorkDep, principal: CurrentPrincipal, settings: SettingsDep
) -> Response:
    context = await views.reader_context(uow.session, _member_id(principal))
    item = await views.visible_item(uow.session, item_id, context)
    if item is None:
        raise Problem(404, "Not found", str(ItemNotFound()), "item-not-found")
    if item.kind != "event":
        raise Problem(409, "Not an event", str(NotAnEvent()), "not-an-event")
    return Response(
        calendar.event_ics(item, base_url=settings.public_base_url),
        media_type="text/calendar; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="convene-{item.id}.ics"'},
    )


# -- my preferences ------------------------------------------------------------------------


async def _profile(uow: UnitOfWorkDep, member_id: UUID) -> ProfileRead:
    member = await views.member(uow.session, member_id)
    context = await views.reader_context(uow.session, member_id)
    return ProfileRead(
        sector=member.sector if member else None,
        region=member.region if member else None,
        expertise=list(member.expertise) if member else [],
        source=member.profile_source if member else "member",
        cohorts=sorted(context.reader.cohorts.values()),
    )


@me_router.get("/profile", summary="What your feed is personalised by")
async def my_profile(uow: UnitOfWorkDep, principal: CurrentPrincipal) -> ProfileRead:
    return await _profile(uow, _member_id(principal))


@me_router.put(
    "/profile",
    summary="Set your sector, region and expertise (until your directory profile provides them)",
)
async def set_my_profile(
    body: ProfileWrite, uow: UnitOfWorkDep, principal: CurrentPrincipal
) -> ProfileRead:
    member_id = _member_id(principal)
    await run(
        handlers.set_profile(
            commands.SetProfile(
                member_id=member_id,
                sector=body.sector,
                region=body.region,
                expertise=body.expertise,
            ),
            uow,
        )
    )
    await uow.commit()
    return await _profile(uow, member_id)


@me_router.get("/topics", summary="Topics you follow or muted")
async def my_topics(uow: UnitOfWorkDep, principal: CurrentPrincipal) -> list[TopicPreferenceRead]:
    rows = await views.topic_preferences(uow.session, _member_id(principal))
    return [TopicPreferenceRead.model_validate(r) for r in rows]


@me_router.put("/topics/{slug}", summary="Follow or mute a topic")
async def set_topic_preference(
    slug: str, body: TopicPreferenceWrite, uow: UnitOfWorkDep, principal: CurrentPrincipal
) -> TopicPreferenceRead:
    await run(
        handlers.set_topic_preference(
            commands.SetTopicPreference(_member_id(principal), slug, body.mode), uow
        )
    )
    await uow.commit()
    return TopicPreferenceRead(topic=slug, mode=body.mode)


@me_router.delete(
    "/topics/{slug}", status_code=status.HTTP_204_NO_CONTENT, summary="Neither follow nor mute"
)
async def clear_topic_preference(
    slug: str, uow: UnitOfWorkDep, principal: CurrentPrincipal
) -> Response:
    await run(
        handlers.set_topic_preference(
            commands.SetTopicPreference(_member_id(principal), slug, None), uow
        )
    )
    await uow.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@me_router.get("/digest", summary="Whether you get the weekly digest email")
async def my_digest(uow: UnitOfWorkDep, principal: CurrentPrincipal) -> DigestPreference:
    member = await views.member(uow.session, _member_id(principal))
    return DigestPreference(weekly=member.digest_weekly if member else True)


@me_router.put("/digest", summary="Turn the weekly digest email on or off")
async def set_my_digest(
    body: DigestPreference, uow: UnitOfWorkDep, principal: CurrentPrincipal
) -> DigestPreference:
    member = await handlers.set_digest_preference(
        commands.SetDigestPreference(_member_id(principal), body.weekly), uow
    )
    await uow.commit()
    return DigestPreference(weekly=member.digest_weekly)


@me_router.post(
    "/feed-token",
    status_code=status.HTTP_201_CREATED,
    summary="A new token for your Atom feeds (the old one stops working)",
)
async def issue_feed_token(
    uow: UnitOfWorkDep, principal: CurrentPrincipal, settings: SettingsDep
) -> FeedTokenRead:
    token = await handlers.issue_feed_token(commands.IssueFeedToken(_member_id(principal)), uow)
    await uow.commit()
    return FeedTokenRead(
        token=token,
        example_feed=f"{settings.public_base_url}/api/content/topics/<topic>/feed.atom?token={token}",
    )


@me_router.delete(
    "/feed-token", status_code=status.HTTP_204_NO_CONTENT, summary="Stop your Atom feeds working"
)
async def revoke_feed_token(uow: UnitOfWorkDep, principal: CurrentPrincipal) -> Response:
    await handlers.revoke_feed_token(commands.RevokeFeedToken(_member_id(principal)), uow)
    await uow.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# -- digests -------------------------------------------------------------------------------


@digests_router.post(
    "/runs",
    summary="Build a week's digests now (default: this week); members who have one are skipped",
)
async def run_digests(
    request: Request, _: ProgrammeAdmin, body: DigestRunCreate | None = None
) -> DigestRunRead:
    runtime: ServiceRuntime = request.app.state.runtime
    week = (body.week if body else None) or digests.iso_week(datetime.now(UTC))
    result = await run(build_weekly_digests(runtime, week))
    return DigestRunRead(week=result.week, members=result.members, queued=result.queued)


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} - Convene</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>{title}</h1>{body}</main></body></html>"""


@digests_router.get(
    "/unsubscribe", summary="The page an unsubscribe link opens", response_class=HTMLResponse
)
async def unsubscribe_page(token: Annotated[str, Query(max_length=200)] = "") -> HTMLResponse:
    # Confirm with a POST: mail scanners open links, and must not unsubscribe anyone.
    body = (
        "<p>Stop getting the weekly Convene digest email?</p>"
        '<form method="post" action="unsubscribe">'
        f'<input type="hidden" name="token" value="{html.escape(token)}">'
        '<button type="submit">Unsubscribe</button></form>'
    )
    return HTMLResponse(_PAGE.format(title="Unsubscribe", body=body))


@digests_router.post(
    "/unsubscribe", summary="Stop the weekly digest (signed link)", response_class=HTMLResponse
)
async def unsubscribe(
    token: Annotated[str, Form(max_length=200)], uow: UnitOfWorkDep, settings: SettingsDep
) -> HTMLResponse:
    await run(handlers.unsubscribe(commands.Unsubscribe(token), uow, settings))
    await uow.commit()
    body = (
        "<p>You will not get the weekly digest any more. You can turn it back on in your "
        "Convene settings.</p>"
    )
    return HTMLResponse(_PAGE.format(title="You have unsubscribed", body=body))


ROUTERS: list[APIRouter] = [
    topics_router,
    reading_router,
    me_router,
    digests_router,
    events_router,
    items_router,
]

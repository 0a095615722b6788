"""Reading: the personalised feed, events, an item's page, booking a place, and the files
an item offers (calendar, document)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from services.gateway.pages.content.lookups import (
    KINDS,
    OFFER_TYPES,
    is_curator,
    item_of,
    page_params,
)
from services.gateway.pages.forms import form_values
from services.gateway.upstream.page_calls import call_service
from services.gateway.web.session_cookies import SignedIn, WebSession
from services.gateway.web.templates import redirect, render

router = APIRouter(prefix="/content", include_in_schema=False)


@router.get("")
async def feed(request: Request, session: SignedIn, cursor: str = "") -> Response:
    answer = await call_service(
        request, session, "content", "GET", "/feed", params=page_params(cursor)
    )
    page = answer.json() if answer.status_code == 200 else {"items": []}
    return render(
        request,
        session,
        "content/feed.html",
        {
            "entries": page["items"],
            "next_cursor": page.get("next_cursor"),
            "paged": bool(cursor),
            "kinds": KINDS,
            "curator": is_curator(session),
        },
    )


@router.get("/events")
async def events(request: Request, session: SignedIn, cursor: str = "") -> Response:
    answer = await call_service(
        request,
        session,
        "content",
        "GET",
        "/search",
        params={"kind": "event"} | page_params(cursor),
    )
    page = answer.json() if answer.status_code == 200 else {"items": []}
    return render(
        request,
        session,
        "content/events.html",
        {"events": page["items"], "next_cursor": page.get("next_cursor"), "paged": bool(cursor)},
    )


@router.get("/items/{item_id}")
async def item_page(request: Request, session: SignedIn, item_id: UUID) -> Response:
    return await _item_page(request, session, item_id)


async def _item_page(
    request: Request, session: WebSession, item_id: UUID, error: str | None = None
) -> Response:
    item = await item_of(request, session, item_id)
    if item.get("status", "published") != "published":
        return redirect(request, f"/content/curation/{item_id}")
    rsvp = None
    if item["kind"] == "event":
        mine = await call_service(request, session, "content", "GET", f"/items/{item_id}/rsvp")
        rsvp = mine.json() if mine.status_code == 200 else None
    started = bool(item.get("starts_at")) and datetime.fromisoformat(
        item["starts_at"].replace("Z", "+00:00")
    ) <= datetime.now(UTC)
    return render(
        request,
        session,
        "content/item.html",
        {
            "item": item,
            "rsvp": rsvp if rsvp and rsvp["status"] != "cancelled" else None,
            "started": started,
            "kinds": KINDS,
            "offer_types": OFFER_TYPES,
            "curator": is_curator(session),
            "errors": {"rsvp": error} if error else None,
        },
        status_code=400 if error else 200,
    )


@router.post("/items/{item_id}/rsvp")
async def rsvp(request: Request, session: SignedIn, item_id: UUID) -> Response:
    single, _ = await form_values(request)
    if not session.csrf_ok(single.get("csrf_token", "")):
        return await _item_page(
            request, session, item_id, "The form had expired. Select the button again"
        )
    cancelling = single.get("action") == "cancel"
    answer = await call_service(
        request, session, "content", "DELETE" if cancelling else "PUT", f"/items/{item_id}/rsvp"
    )
    if answer.status_code == 409:
        return await _item_page(
            request, session, item_id, "This event has started: places can no longer be changed"
        )
    if answer.status_code == 204:
        session.set_flash("Your place has been cancelled")
    elif answer.status_code == 200:
        body = answer.json()
        session.set_flash(
            "Your place is confirmed"
            if body["status"] == "confirmed"
            else f"The event is full: you are number {body['waiting_list_position']} "
            "on the waiting list"
        )
    else:
        raise HTTPException(404)
    return redirect(request, f"/content/items/{item_id}")


@router.get("/items/{item_id}/calendar.ics")
async def calendar(request: Request, session: SignedIn, item_id: UUID) -> Response:
    answer = await call_service(
        request, session, "content", "GET", f"/items/{item_id}/calendar.ics"
    )
    if answer.status_code != 200:
        raise HTTPException(404)
    return Response(
        answer.content,
        media_type=answer.headers.get("content-type", "text/calendar; charset=utf-8"),
        headers={
            "content-disposition": answer.headers.get("content-disposition", "attachment"),
            "cache-control": "no-store",
        },
    )


@router.get("/items/{item_id}/document")
async def document(request: Request, session: SignedIn, item_id: UUID) -> Response:
    answer = await call_service(request, session, "content", "GET", f"/items/{item_id}/document")
    if answer.status_code != 200:
        raise HTTPException(404)
    return Response(
        answer.content,
        media_type=answer.headers.get("content-type", "application/octet-stream"),
        headers={
            "content-disposition": answer.headers.get("content-disposition", "attachment"),
            "cache-control": "no-store",
        },
    )

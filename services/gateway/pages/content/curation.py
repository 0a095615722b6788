"""Curation (curators and programme admins): items by status, writing and changing them, and
taking them through review."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from services.gateway.pages.content.lookups import KINDS, OFFER_TYPES, item_of, page_params
from services.gateway.pages.forms import form_values
from services.gateway.upstream.page_calls import call_service
from services.gateway.web.session_cookies import NotAllowed, SignedIn, WebSession
from services.gateway.web.templates import redirect, render

router = APIRouter(prefix="/content", include_in_schema=False)
STEPS = {
    "submit": "Send for review",
    "approve": "Approve",
    "publish": "Publish now",
    "return": "Return to draft",
    "unschedule": "Unschedule",
    "withdraw": "Withdraw",
}
DONE = {
    "submit": "sent for review",
    "approve": "approved",
    "publish": "published",
    "return": "returned to draft",
    "unschedule": "unscheduled",
    "withdraw": "withdrawn",
}


async def curator(session: SignedIn) -> WebSession:
    if not (session.is_admin or (session.principal and session.principal.has_role("curator"))):
        raise NotAllowed
    return session


Curator = Annotated[WebSession, Depends(curator)]


@router.get("/curation")
async def curation(
    request: Request, session: Curator, status: str = "", cursor: str = ""
) -> Response:
    params = page_params(cursor) | ({"status": status} if status in STATUSES else {})
    answer = await call_service(request, session, "content", "GET", "/items", params=params)
    page = answer.json() if answer.status_code == 200 else {"items": []}
    return render(
        request,
        session,
        "content/curation.html",
        {
            "items": page["items"],
            "next_cursor": page.get("next_cursor"),
            "status": status if status in STATUSES else "",
            "statuses": STATUSES,
            "kinds": KINDS,
        },
    )


STATUSES = ["draft", "submitted", "approved", "scheduled", "published", "withdrawn"]
ANCHORS = {"starts_at": "starts_at-day", "kind": "kind"}


async def _topic_choices(request: Request, session: WebSession) -> list[dict[str, Any]]:
    answer = await call_service(request, session, "content", "GET", "/topics")
    topics: list[dict[str, Any]] = answer.json() if answer.status_code == 200 else []
    return topics


async def _item_form(
    request: Request,
    session: WebSession,
    values: dict[str, Any],
    errors: dict[str, str],
    action: str,
    editing: bool,
) -> Response:
    return render(
        request,
        session,
        "content/item_form.html",
        {
            "values": values,
            "errors": errors,
            "anchors": ANCHORS,
            "action": action,
            "editing": editing,
            "kinds": KINDS,
            "offer_types": OFFER_TYPES,
            "topics": await _topic_choices(request, session),
        },
        status_code=400 if errors else 200,
    )


@router.get("/curation/new")
async def new_item_page(request: Request, session: Curator) -> Response:
    return await _item_form(request, session, {"topics": []}, {}, "/content/curation/new", False)


def _when(values: dict[str, str], name: str, errors: dict[str, str], label: str) -> str | None:
    parts = [values.get(f"{name}-{p}", "").strip() for p in ("day", "month", "year")]
    clock = values.get(f"{name}-time", "").strip()
    if not any(parts) and not clock:
        return None
    try:
        day, month, year = (int(p) for p in parts)
        hour, _, minute = clock.partition(":")
        moment = datetime(year, month, day, int(hour or 0), int(minute or 0), tzinfo=UTC)
    except ValueError:
        errors[name] = f"Enter a real date and a time like 14:30 for when the event {label}"
        return None
    return moment.isoformat()


def item_body(values: dict[str, str], topics: list[str], errors: dict[str, str]) -> dict[str, Any]:
    """The form as the API's ItemWrite; what a person can fix is checked here first."""
    kind = values.get("kind", "")
    title = values.get("title", "").strip()
    if kind not in KINDS:
        errors["kind"] = "Select the kind of item"
    if not title:
        errors["title"] = "Enter a title"
    elif len(title) > 200:
        errors["title"] = "The title must be 200 characters or fewer"
    if len(values.get("summary", "")) > 600:
        errors["summary"] = "The summary must be 600 characters or fewer"
    body: dict[str, Any] = {
        "kind": kind,
        "title": title,
        "summary": values.get("summary", "").strip(),
        "body_markdown": values.get("body_markdown", ""),
        "topics": topics,
        # Only items meant for every member may be shared; content refuses the rest (422).
        "shared_with_departments": values.get("shared_with_departments") == "yes",
    }
    if kind == "event":
        starts_at = _when(values, "starts_at", errors, "starts")
        if starts_at is None and "starts_at" not in errors:
            errors["starts_at"] = "Enter the date and time the event starts"
        body["starts_at"] = starts_at
        body["place"] = values.get("place", "").strip() or None
        body["online_url"] = values.get("online_url", "").strip() or None
        if not body["place"] and not body["online_url"]:
            errors["place"] = "Enter where the event is, or its online link"
        capacity = values.get("capacity", "").strip()
        if capacity and (not capacity.isdigit() or not 1 <= int(capacity) <= 100_000):
            errors["capacity"] = "Places must be a whole number from 1 to 100,000"
        body["capacity"] = int(capacity) if capacity.isdigit() else None
    elif kind == "resource":
        body["link_url"] = values.get("link_url", "").strip() or None
    elif kind == "support_offer":
        offer_type = values.get("offer_type", "")
        if offer_type not in OFFER_TYPES:
            errors["offer_type"] = "Select the kind of support"
        body["offer_type"] = offer_type or None
        body["how_to_join"] = values.get("how_to_join", "").strip() or None
    return body


def _api_errors(problem: dict[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    for error in problem.get("errors") or []:
        location = error.get("location") or error.get("loc") or []
        name = str(location[-1]) if location else "title"
        if name in ("online_url", "link_url"):
            errors[name] = "Enter a full web address starting with https://"
        else:
            errors.setdefault(name, str(error.get("message") or error.get("msg") or "Check this"))
    return errors or {"title": problem.get("detail") or "The item could not be saved"}


@router.post("/curation/new")
async def create_item(request: Request, session: Curator) -> Response:
    values, multiple = await form_values(request)
    errors: dict[str, str] = {}
    if not session.csrf_ok(values.get("csrf_token", "")):
        errors["title"] = "The form had expired. Check the details and send it again"
    body = item_body(values, multiple.get("topics", []), errors)
    if not errors:
        answer = await call_service(request, session, "content", "POST", "/items", json=body)
        if answer.status_code == 201:
            session.set_flash(f"Draft {body['title']} saved")
            return redirect(request, f"/content/curation/{answer.json()['id']}")
        errors = _api_errors(answer.json())
    form: dict[str, Any] = {**values, "topics": multiple.get("topics", [])}
    return await _item_form(request, session, form, errors, "/content/curation/new", False)


def _form_values(item: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {k: v for k, v in item.items() if isinstance(v, str | list)}
    if item.get("shared_with_departments"):
        values["shared_with_departments"] = "yes"
    if item.get("capacity"):
        values["capacity"] = str(item["capacity"])
    if item.get("starts_at"):
        moment = datetime.fromisoformat(item["starts_at"].replace("Z", "+00:00")).astimezone(UTC)
        values |= {
            "starts_at-day": str(moment.day),
            "starts_at-month": str(moment.month),
            "starts_at-year": str(moment.year),
            "starts_at-time": f"{moment:%H:%M}",
        }
    return values


@router.get("/curation/{item_id}")
async def curation_item(request: Request, session: Curator, item_id: UUID) -> Response:
    return await _curation_item(request, session, item_id)


async def _curation_item(
    request: Request, session: WebSession, item_id: UUID, error: str | None = None
) -> Response:
    item = await item_of(request, session, item_id)
    audit = await call_service(request, session, "content", "GET", f"/items/{item_id}/audit")
    return render(
        request,
        session,
        "content/curation_item.html",
        {
            "item": item,
            "audit": audit.json() if audit.status_code == 200 else [],
            "steps": _steps(item["status"]),
            "step_names": STEPS,
            "kinds": KINDS,
            "errors": {"steps": error} if error else None,
            "anchors": {"steps": "next-step"},
        },
        status_code=400 if error else 200,
    )


def _steps(status: str) -> list[str]:
    return {
        "draft": ["submit"],
        "submitted": ["approve", "return"],
        "approved": ["publish", "return"],
        "scheduled": ["unschedule", "withdraw"],
        "published": ["withdraw"],
    }.get(status, [])


@router.get("/curation/{item_id}/edit")
async def edit_item_page(request: Request, session: Curator, item_id: UUID) -> Response:
    item = await item_of(request, session, item_id)
    return await _item_form(
        request, session, _form_values(item), {}, f"/content/curation/{item_id}/edit", True
    )


@router.post("/curation/{item_id}/edit")
async def edit_item(request: Request, session: Curator, item_id: UUID) -> Response:
    values, multiple = await form_values(request)
    errors: dict[str, str] = {}
    if not session.csrf_ok(values.get("csrf_token", "")):
        errors["title"] = "The form had expired. Check the details and send it again"
    body = item_body(values, multiple.get("topics", []), errors)
    if not errors:
        answer = await call_service(
            request, session, "content", "PUT", f"/items/{item_id}", json=body
        )
        if answer.status_code == 200:
            session.set_flash(f"{body['title']} saved")
            return redirect(request, f"/content/curation/{item_id}")
        if answer.status_code == 409:
            errors["title"] = "This item is in review: return it to draft before changing it"
        else:
            errors = _api_errors(answer.json())
    form: dict[str, Any] = {**values, "topics": multiple.get("topics", [])}
    return await _item_form(
        request, session, form, errors, f"/content/curation/{item_id}/edit", True
    )


@router.post("/curation/{item_id}/{step}")
async def move_item(request: Request, session: Curator, item_id: UUID, step: str) -> Response:
    if step not in STEPS:
        raise HTTPException(404)
    single, _ = await form_values(request)
    if not session.csrf_ok(single.get("csrf_token", "")):
        return await _curation_item(
            request, session, item_id, "The form had expired. Select the button again"
        )
    note = single.get("note", "").strip()[:500]
    try:
        answer = await call_service(
            request,
            session,
            "content",
            "POST",
            f"/items/{item_id}/{step}",
            json={"note": note} if note else {},
        )
    except NotAllowed:
        return await _curation_item(
            request,
            session,
            item_id,
            "You cannot approve an item you wrote: another curator must approve it"
            if step == "approve"
            else "You cannot take this step",
        )
    if answer.status_code == 409:
        return await _curation_item(
            request, session, item_id, "That step is not possible at this stage of review"
        )
    if answer.status_code != 200:
        raise HTTPException(404)
    session.set_flash(f"{answer.json()['title']} {DONE[step]}")
    return redirect(request, f"/content/curation/{item_id}")

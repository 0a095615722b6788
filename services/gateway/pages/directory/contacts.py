"""Contact requests: asking someone for contact, and the requests you received and sent
(accept or decline)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from services.chassis.problems import Problem
from services.gateway.pages.directory.lookups import form_expired, member_ref, profile_of
from services.gateway.pages.directory.vocabularies import fetch_limits
from services.gateway.upstream.page_calls import call_service
from services.gateway.web.session_cookies import SignedIn
from services.gateway.web.templates import environment, redirect, render

router = APIRouter(include_in_schema=False)
STATUS_TAGS = {
    "pending": ("Waiting for an answer", "govuk-tag--blue"),
    "accepted": ("Accepted", "govuk-tag--green"),
    "declined": ("Declined", "govuk-tag--grey"),
    "expired": ("Expired", "govuk-tag--yellow"),
}


environment.globals["status_tags"] = STATUS_TAGS


@router.get("/directory/people/{member_id}/contact")
async def contact_page(request: Request, session: SignedIn, member_id: str) -> Response:
    profile = await profile_of(request, session, member_ref(member_id))
    limits = await fetch_limits(request, session)
    return render(
        request,
        session,
        "directory/contact.html",
        {"profile": profile, "values": {}, "reason_max": limits.reason_max_chars},
    )


@router.post("/directory/people/{member_id}/contact")
async def send_contact_request(
    request: Request,
    session: SignedIn,
    member_id: str,
    reason: Annotated[str, Form(max_length=5000)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    member = member_ref(member_id)
    reason = reason.strip()
    limits = await fetch_limits(request, session)
    error = None
    if not session.csrf_ok(csrf_token):
        error = "The form had expired. Send your request again"
    elif not reason:
        error = "Enter why you would like to be in contact"
    elif len(reason) < limits.reason_min_chars:
        error = f"Your reason must be {limits.reason_min_chars} characters or more"
    elif len(reason) > limits.reason_max_chars:
        error = f"Your reason must be {limits.reason_max_chars} characters or fewer"
    profile = await profile_of(request, session, member)
    if error is None:
        answer = await call_service(
            request,
            session,
            "directory",
            "POST",
            "/contact-requests",
            json={"recipient_id": member, "reason": reason},
            forbidden_ok=True,
        )
        if answer.status_code == 201:
            session.set_flash(f"Contact request sent to {profile['full_name']}")
            return redirect(request, "/contact-requests")
        error = _contact_refusal(answer)
    return render(
        request,
        session,
        "directory/contact.html",
        {
            "profile": profile,
            "values": {"reason": reason},
            "errors": {"reason": error},
            "reason_max": limits.reason_max_chars,
        },
        status_code=400,
    )


def _contact_refusal(answer: Any) -> str:
    if answer.status_code == 429:
        wait = answer.headers.get("retry-after", "")
        hours = max(1, -(-int(wait) // 3600)) if wait.isdigit() else None
        later = f"in {hours} hour{'s' if hours != 1 else ''}" if hours else "tomorrow"
        return (
            "You have sent as many contact requests as you can in 24 hours. "
            f"You can send another {later}"
        )
    if answer.status_code == 403:
        return "You cannot send a contact request to this person"
    if answer.status_code == 409:
        return "There is already a contact request waiting between you and this person"
    return "Your request could not be sent. Check your reason and try again"


@router.get("/contact-requests")
async def contact_requests(request: Request, session: SignedIn) -> Response:
    lists = {}
    for direction in ("incoming", "outgoing"):
        answer = await call_service(
            request,
            session,
            "directory",
            "GET",
            "/contact-requests",
            params={"direction": direction, "limit": "50"},
        )
        lists[direction] = answer.json()["items"] if answer.status_code == 200 else []
    return render(
        request,
        session,
        "directory/contact_requests.html",
        {"received": lists["incoming"], "sent": lists["outgoing"]},
    )


@router.post("/contact-requests/{request_id}/decision")
async def decide(
    request: Request,
    session: SignedIn,
    request_id: str,
    decision: Annotated[str, Form(max_length=20)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    try:
        request_ref = str(UUID(request_id))
    except ValueError as exc:
        raise Problem(404, "Not found", "There is no such contact request.") from exc
    if not session.csrf_ok(csrf_token) or decision not in ("accept", "decline"):
        return form_expired(request, session)
    answer = await call_service(
        request,
        session,
        "directory",
        "POST",
        f"/contact-requests/{request_ref}/decision",
        json={"decision": decision},
        forbidden_ok=True,
    )
    if answer.status_code != 200:
        return render(
            request,
            session,
            "errors/error.html",
            {
                "heading": "This contact request cannot be answered",
                "message": "It may have been answered already, or it has expired.",
            },
            status_code=400,
        )
    name = answer.json().get("requester_name") or "the member"
    session.set_flash(
        f"You accepted {name}'s contact request. You can now see each other's contact details"
        if decision == "accept"
        else f"You declined {name}'s contact request"
    )
    return redirect(request, "/contact-requests")

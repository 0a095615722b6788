"""Your profile: what others see, who sees each private field, the completeness nudge,
publishing and confirming it; who viewed it; and where a member lands after signing in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from services.chassis.problems import Problem
from services.gateway.pages.directory.lookups import own_profile
from services.gateway.pages.directory.vocabularies import (
    PRIVATE_FIELD_LABELS,
    fetch_vocabularies,
    listed_field_labels,
    sector_region_labels,
)
from services.gateway.upstream.page_calls import call_service
from services.gateway.web.session_cookies import NotAllowed, SignedIn, SignInRequired, WebSession
from services.gateway.web.templates import redirect, render

router = APIRouter(include_in_schema=False)

#: Page anchors of the fields a completeness item is about (the nudge links to them).
MISSING_ANCHORS = {
    "job_title": "job_title",
    "organisation": "organisation_id",
    "sector": "sector",
    "region": "region",
    "bio": "bio",
    "expertise": "expertise",
    "contact": "email",
    "languages": "languages",
    "preferred_name": "preferred_name",
}


async def landing_page(request: Request, session: WebSession) -> str:
    """Where a member lands after signing in: their profile while it is still a draft (so they
    complete it), otherwise the home page. Any trouble asking the directory means home."""
    try:
        answer = await call_service(request, session, "directory", "GET", "/profiles/me")
    except (NotAllowed, SignInRequired, Problem):
        return "/"
    if answer.status_code == 200 and answer.json().get("status") == "draft":
        return "/profile"
    return "/"


@router.get("/profile")
async def your_profile(request: Request, session: SignedIn) -> Response:
    return await _show_own_profile(request, session, {})


async def _show_own_profile(
    request: Request, session: WebSession, errors: dict[str, str], status_code: int = 200
) -> Response:
    profile = await own_profile(request, session)
    vocabularies = await fetch_vocabularies(request, session)
    notices = await call_service(request, session, "directory", "GET", "/profiles/me/notices")
    return render(
        request,
        session,
        "directory/profile.html",
        {
            "profile": profile,
            "labels": sector_region_labels(vocabularies),
            "notices": notices.json() if notices.status_code == 200 else [],
            "missing_anchors": MISSING_ANCHORS,
            "private_field_labels": PRIVATE_FIELD_LABELS,
            "listed_field_labels": listed_field_labels(vocabularies),
            "errors": errors,
            "anchors": {"publish": "publish"},
        },
        status_code=status_code,
    )


@router.post("/profile/publish")
async def publish(
    request: Request, session: SignedIn, csrf_token: Annotated[str, Form(max_length=100)] = ""
) -> Response:
    return await _owner_action(request, session, csrf_token, "publish")


@router.post("/profile/confirm")
async def confirm(
    request: Request, session: SignedIn, csrf_token: Annotated[str, Form(max_length=100)] = ""
) -> Response:
    return await _owner_action(request, session, csrf_token, "confirm")


async def _owner_action(
    request: Request, session: WebSession, csrf_token: str, action: str
) -> Response:
    if not session.csrf_ok(csrf_token):
        return await _show_own_profile(
            request, session, {"publish": "The form had expired. Try again"}, 400
        )
    answer = await call_service(request, session, "directory", "POST", f"/profiles/me/{action}")
    if answer.status_code == 200:
        session.set_flash(
            "Your profile is in the directory: other members can now find you"
            if action == "publish"
            else "Thank you for confirming your profile is still current"
        )
        return redirect(request, "/profile")
    detail = answer.json().get("detail") if answer.status_code == 422 else None
    message = (
        "Add your job title, sector and region before you publish your profile"
        if action == "publish"
        else detail or "Your profile could not be confirmed. Try again"
    )
    return await _show_own_profile(request, session, {"publish": message}, 400)


@router.get("/profile/viewers")
async def viewers(request: Request, session: SignedIn) -> Response:
    answer = await call_service(
        request, session, "directory", "GET", "/profiles/me/viewers", params={"limit": "50"}
    )
    items = answer.json()["items"] if answer.status_code == 200 else []
    return render(request, session, "directory/viewers.html", {"views": items})

"""What several directory pages read or answer alike: a member id from the address, a
profile, the directory's problem code, and the "form had expired" page."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import Request
from fastapi.responses import Response

from services.chassis.problems import Problem
from services.gateway.upstream.page_calls import call_service
from services.gateway.web.session_cookies import WebSession
from services.gateway.web.templates import render


def member_ref(member_id: str) -> str:
    """A member id from a page address, or 404 (never a 500 for a mistyped address)."""
    try:
        return str(UUID(member_id))
    except ValueError as exc:
        raise Problem(404, "Not found", "There is no such profile.") from exc


def problem_code(answer: Any) -> str:
    try:
        return str(answer.json().get("type", "")).rsplit("/", 1)[-1]
    except ValueError:
        return ""


async def own_profile(request: Request, session: WebSession) -> dict[str, Any]:
    answer = await call_service(request, session, "directory", "GET", "/profiles/me")
    if answer.status_code != 200:
        raise Problem(404, "Not found", "You do not have a directory profile yet.")
    profile: dict[str, Any] = answer.json()
    return profile


async def profile_of(request: Request, session: WebSession, member: str) -> dict[str, Any]:
    answer = await call_service(request, session, "directory", "GET", f"/profiles/{member}")
    if answer.status_code != 200:
        raise Problem(404, "Not found", "There is no profile with that id.")
    profile: dict[str, Any] = answer.json()
    return profile


def form_expired(request: Request, session: WebSession) -> Response:
    return render(
        request,
        session,
        "errors/error.html",
        {
            "heading": "Your form could not be sent",
            "message": "The page had been open too long. Go back, refresh the page and try again.",
        },
        status_code=400,
    )

"""Reporting a profile as out of date, or its owner as a leaver."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from services.gateway.pages.directory.lookups import member_ref, profile_of
from services.gateway.pages.directory.vocabularies import fetch_limits
from services.gateway.upstream.page_calls import call_service
from services.gateway.web.session_cookies import SignedIn
from services.gateway.web.templates import redirect, render

router = APIRouter(include_in_schema=False)


@router.get("/directory/people/{member_id}/report")
async def report_page(request: Request, session: SignedIn, member_id: str) -> Response:
    profile = await profile_of(request, session, member_ref(member_id))
    return render(request, session, "directory/report.html", {"profile": profile, "values": {}})


@router.post("/directory/people/{member_id}/report")
async def report(
    request: Request,
    session: SignedIn,
    member_id: str,
    kind: Annotated[str, Form(max_length=20)] = "",
    note: Annotated[str, Form(max_length=5000)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    member = member_ref(member_id)
    note = note.strip()
    limits = await fetch_limits(request, session)
    errors: dict[str, str] = {}
    if not session.csrf_ok(csrf_token):
        errors["kind"] = "The form had expired. Send your report again"
    elif kind not in ("out_of_date", "leaver"):
        errors["kind"] = "Select what is wrong with this profile"
    if len(note) > limits.report_note_max_chars:
        errors["note"] = f"Your note must be {limits.report_note_max_chars:,} characters or fewer"
    profile = await profile_of(request, session, member)
    if not errors:
        answer = await call_service(
            request,
            session,
            "directory",
            "POST",
            f"/profiles/{member}/reports",
            json={"kind": kind, "note": note},
        )
        if answer.status_code == 201:
            session.set_flash(
                f"Thank you. We have let {profile['full_name']} and the programme team know"
            )
            return redirect(request, f"/directory/people/{member}")
        errors["kind"] = "Your report could not be sent. Try again"
    return render(
        request,
        session,
        "directory/report.html",
        {"profile": profile, "values": {"kind": kind, "note": note}, "errors": errors},
        status_code=400,
    )

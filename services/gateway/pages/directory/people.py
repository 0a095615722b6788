"""Someone's profile, as the directory lets you see it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.gateway.pages.directory.lookups import member_ref, profile_of
from services.gateway.pages.directory.vocabularies import fetch_vocabularies, sector_region_labels
from services.gateway.web.session_cookies import SignedIn
from services.gateway.web.templates import redirect, render

router = APIRouter(include_in_schema=False)


@router.get("/directory/people/{member_id}")
async def profile_page(request: Request, session: SignedIn, member_id: str) -> Response:
    member = member_ref(member_id)
    if session.principal is not None and member == session.principal.subject:
        return redirect(request, "/profile")
    profile = await profile_of(request, session, member)
    vocabularies = await fetch_vocabularies(request, session)
    return render(
        request,
        session,
        "directory/person.html",
        {"profile": profile, "labels": sector_region_labels(vocabularies)},
    )

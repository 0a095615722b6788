"""Your delegates (private office): naming one from their profile page, removing one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from services.gateway.pages.directory.lookups import form_expired, member_ref, profile_of
from services.gateway.upstream.page_calls import call_service
from services.gateway.web.session_cookies import SignedIn
from services.gateway.web.templates import redirect, render

router = APIRouter(include_in_schema=False)


@router.get("/profile/delegates")
async def delegates(request: Request, session: SignedIn) -> Response:
    answer = await call_service(request, session, "directory", "GET", "/profiles/me/delegates")
    items = answer.json() if answer.status_code == 200 else []
    return render(request, session, "directory/delegates.html", {"delegates": items})


@router.post("/directory/people/{member_id}/delegate")
async def name_delegate(
    request: Request,
    session: SignedIn,
    member_id: str,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    member = member_ref(member_id)
    profile = await profile_of(request, session, member)
    if not session.csrf_ok(csrf_token):
        return form_expired(request, session)
    answer = await call_service(
        request,
        session,
        "directory",
        "POST",
        "/profiles/me/delegates",
        json={"delegate_id": member},
        forbidden_ok=True,
    )
    if answer.status_code != 204:
        return render(
            request,
            session,
            "errors/error.html",
            {
                "heading": f"{profile['full_name']} cannot be your delegate",
                "message": "A delegate must be another Convene member.",
            },
            status_code=400,
        )
    session.set_flash(f"{profile['full_name']} is now your delegate")
    return redirect(request, "/profile/delegates")


@router.post("/profile/delegates/{delegate_id}/remove")
async def remove_delegate(
    request: Request,
    session: SignedIn,
    delegate_id: str,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    delegate = member_ref(delegate_id)
    if not session.csrf_ok(csrf_token):
        return form_expired(request, session)
    await call_service(
        request, session, "directory", "DELETE", f"/profiles/me/delegates/{delegate}"
    )
    session.set_flash("The delegation has ended")
    return redirect(request, "/profile/delegates")

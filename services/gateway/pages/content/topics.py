"""Topics to follow or mute."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from services.gateway.pages.forms import form_values
from services.gateway.upstream.page_calls import call_service
from services.gateway.web.session_cookies import SignedIn
from services.gateway.web.templates import redirect, render

router = APIRouter(prefix="/content", include_in_schema=False)


@router.get("/topics")
async def topics(request: Request, session: SignedIn) -> Response:
    listed = await call_service(request, session, "content", "GET", "/topics")
    mine = await call_service(request, session, "content", "GET", "/me/topics")
    modes = {p["topic"]: p["mode"] for p in mine.json()} if mine.status_code == 200 else {}
    return render(
        request,
        session,
        "content/topics.html",
        {"topics": listed.json() if listed.status_code == 200 else [], "modes": modes},
    )


@router.post("/topics/{slug}")
async def topic_preference(request: Request, session: SignedIn, slug: str) -> Response:
    single, _ = await form_values(request)
    mode = single.get("mode", "")
    if session.csrf_ok(single.get("csrf_token", "")) and mode in ("follow", "mute", "clear"):
        path = f"/me/topics/{slug[:80]}"
        answer = await (
            call_service(request, session, "content", "DELETE", path)
            if mode == "clear"
            else call_service(request, session, "content", "PUT", path, json={"mode": mode})
        )
        if answer.status_code == 404:
            raise HTTPException(404)
        session.set_flash(
            {
                "follow": "You follow",
                "mute": "You have muted",
                "clear": "You no longer follow or mute",
            }[mode]
            + f" {slug}"
        )
    return redirect(request, "/content/topics")

"""The start page for visitors and the home page for signed-in members."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.gateway.upstream.page_calls import call_service
from services.gateway.web.session_cookies import Session
from services.gateway.web.templates import render

router = APIRouter(include_in_schema=False)


@router.get("/")
async def home(request: Request, session: Session) -> Response:
    if not session.signed_in:
        return render(request, session, "home/start.html")
    answer = await call_service(request, session, "identity", "GET", "/me")
    member = answer.json() if answer.status_code == 200 else None
    return render(request, session, "home/home.html", {"member": member})

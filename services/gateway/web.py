"""The gateway's web pages. Sign-in confirmation first: email scanners follow links, so a
link only shows this page; only its POST (a person pressing the button) redeems the token."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated

import httpx
from fastapi import APIRouter, Cookie, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
router = APIRouter(include_in_schema=False)

SESSION_COOKIE = "convene_session"
CSRF_COOKIE = "convene_csrf"


def _secure(request: Request) -> bool:
    return bool(request.app.state.settings.secure_cookies)


@router.get("/sign-in/confirm", response_class=HTMLResponse)
async def confirm_page(
    request: Request, token: Annotated[str, Query(max_length=200)] = ""
) -> Response:
    csrf = secrets.token_urlsafe(24)
    response = templates.TemplateResponse(
        request, "sign_in_confirm.html", {"token": token, "csrf_token": csrf}
    )
    response.headers["cache-control"] = "no-store"
    response.set_cookie(
        CSRF_COOKIE,
        csrf,
        httponly=True,
        secure=_secure(request),
        samesite="strict",
        path="/sign-in",
    )
    return response


@router.post("/sign-in/confirm", response_class=HTMLResponse)
async def confirm(
    request: Request,
    token: Annotated[str, Form(max_length=200)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    convene_csrf: Annotated[str | None, Cookie()] = None,
) -> Response:
    if not convene_csrf or not secrets.compare_digest(csrf_token, convene_csrf):
        return _result(
            request,
            400,
            "Sign-in link not accepted",
            "Open the link from your email again and select the button.",
        )
    client: httpx.AsyncClient = request.app.state.http
    identity = request.app.state.upstreams["identity"]
    upstream = await client.post(
        f"{identity}/sign-in/redeem",
        json={"token": token},
        headers={"x-forwarded-for": request.client.host if request.client else ""},
    )
    if upstream.status_code != 200:
        return _result(
            request,
            400,
            "This link has expired or has already been used",
            "Sign-in links work once, for a short time. Ask for a new one.",
        )
    tokens = upstream.json()
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        tokens["access_token"],
        max_age=tokens["expires_in"],
        httponly=True,
        secure=_secure(request),
        samesite="lax",
    )
    response.delete_cookie(CSRF_COOKIE, path="/sign-in")
    return response


def _result(request: Request, status_code: int, heading: str, message: str) -> Response:
    return templates.TemplateResponse(
        request,
        "sign_in_result.html",
        {"heading": heading, "message": message},
        status_code=status_code,
    )

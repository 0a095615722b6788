"""Signing in by email link, and signing out.

Email security scanners follow links, so the link in an email only shows a confirmation page;
only its POST (a person pressing the button) redeems the token.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response
from pydantic import EmailStr, TypeAdapter, ValidationError

from services.gateway.pages.directory.profile import landing_page
from services.gateway.upstream.page_calls import call_identity
from services.gateway.web.session_cookies import REFRESH_COOKIE, Session, WebSession
from services.gateway.web.templates import redirect, render

router = APIRouter(include_in_schema=False)
EMAIL = TypeAdapter(EmailStr)


def safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


@router.get("/sign-in")
async def sign_in_page(
    request: Request, session: Session, next: Annotated[str, Query(max_length=300)] = "/"
) -> Response:
    if session.signed_in:
        return redirect(request, safe_next(next))
    return render(request, session, "session/sign_in.html", {"values": {}, "next": next})


@router.post("/sign-in")
async def sign_in(
    request: Request,
    session: Session,
    email: Annotated[str, Form(max_length=320)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=300)] = "/",
) -> Response:
    if not session.csrf_ok(csrf_token):
        return _csrf_failed(request, session)
    email = email.strip()
    errors: dict[str, str] = {}
    if not email:
        errors["email"] = "Enter your email address"
    else:
        try:
            EMAIL.validate_python(email)
        except ValidationError:
            errors["email"] = (
                "Enter an email address in the correct format, like name@example.gov.uk"
            )
    if not errors:
        answer = await call_identity(request, "POST", "/sign-in", json={"email": email})
        if answer.status_code == 202:
            return redirect(request, "/sign-in/check-email")
        if answer.status_code == 429:
            errors["email"] = "You have asked for too many links. Wait 15 minutes and try again"
        else:
            errors["email"] = (
                "Enter an email address in the correct format, like name@example.gov.uk"
            )
    return render(
        request,
        session,
        "session/sign_in.html",
        {"values": {"email": email}, "errors": errors, "next": next},
        status_code=400 if errors else 200,
    )


@router.get("/sign-in/check-email")
async def check_email(request: Request, session: Session) -> Response:
    return render(request, session, "session/check_email.html")


@router.get("/sign-in/confirm")
async def confirm_page(
    request: Request, session: Session, token: Annotated[str, Query(max_length=200)] = ""
) -> Response:
    return render(request, session, "session/confirm.html", {"token": token})


@router.post("/sign-in/confirm")
async def confirm(
    request: Request,
    session: Session,
    token: Annotated[str, Form(max_length=200)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    if not session.csrf_ok(csrf_token):
        return render(
            request,
            session,
            "session/result.html",
            {
                "heading": "Sign-in link not accepted",
                "message": "Open the link from your email again and select the button.",
            },
            status_code=400,
        )
    answer = await call_identity(request, "POST", "/sign-in/redeem", json={"token": token})
    if answer.status_code != 200:
        return render(
            request,
            session,
            "session/result.html",
            {
                "heading": "This link has expired or has already been used",
                "message": "Sign-in links work once, for a short time.",
                "ask_again": True,
            },
            status_code=400,
        )
    tokens = answer.json()
    session.sign_in(
        tokens["access_token"],
        int(tokens["expires_in"]),
        tokens["refresh_token"],
        request.app.state.settings.refresh_cookie_days,
    )
    session.access_token = tokens["access_token"]
    return redirect(request, await landing_page(request, session))


@router.get("/sign-out")
async def sign_out_page(request: Request, session: Session) -> Response:
    if not session.signed_in and REFRESH_COOKIE not in request.cookies:
        return redirect(request, "/signed-out")
    return render(request, session, "session/sign_out.html")


@router.post("/sign-out")
async def sign_out(
    request: Request, session: Session, csrf_token: Annotated[str, Form(max_length=100)] = ""
) -> Response:
    if not session.csrf_ok(csrf_token):
        return _csrf_failed(request, session)
    refresh_token = request.cookies.get(REFRESH_COOKIE)
    if refresh_token:
        # Ends the whole session family at identity; the cookies go whatever it answers.
        await call_identity(request, "POST", "/sign-out", json={"refresh_token": refresh_token})
    session.sign_out()
    return redirect(request, "/signed-out")


@router.get("/signed-out")
async def signed_out(request: Request, session: Session) -> Response:
    return render(request, session, "session/signed_out.html")


def _csrf_failed(request: Request, session: WebSession) -> Response:
    return render(
        request,
        session,
        "session/result.html",
        {
            "heading": "Your form could not be sent",
            "message": "The page had been open too long or was sent from somewhere else. "
            "Go back, refresh the page and try again.",
        },
        status_code=400,
    )

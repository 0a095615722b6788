"""The person behind a request, as their cookies tell, and the cookies a page sends back.

The session is two cookies: `convene_session` holds the access token (HttpOnly, SameSite=Lax,
Max-Age = the token's lifetime) and `convene_refresh` the refresh token (HttpOnly,
SameSite=Strict). When the access token has expired the gateway asks identity for a new pair
(`session_refresh`) and rotates both cookies. Pages take `Session`, `SignedIn` or
`ProgrammeAdmin`; what the session changed is written to the response by `write_cookies`
(`render` and `redirect` call it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated
from urllib.parse import quote, unquote

from fastapi import Depends, Request
from fastapi.responses import Response

from services.chassis.tokens import InvalidToken, Principal, TokenVerifier
from services.gateway.rate_limits import limit_member
from services.gateway.web.csrf import (
    CSRF_COOKIE,
    MIN_COOKIE_CHARS,
    new_cookie_value,
    token_for,
    token_matches,
)

SESSION_COOKIE = "convene_session"
REFRESH_COOKIE = "convene_refresh"
FLASH_COOKIE = "convene_flash"


@dataclass
class CookieChange:
    name: str
    value: str | None  # None deletes the cookie
    max_age: int | None = None
    samesite: str = "lax"
    path: str = "/"


@dataclass
class WebSession:
    """The person behind this request, as far as their cookies tell."""

    principal: Principal | None = None
    access_token: str | None = None
    csrf_cookie: str = ""
    csrf_secret: bytes = b""
    flash: str | None = None
    changes: list[CookieChange] = field(default_factory=list)

    @property
    def signed_in(self) -> bool:
        return self.principal is not None

    @property
    def is_admin(self) -> bool:
        return self.principal is not None and self.principal.has_role("programme_admin")

    @property
    def csrf_token(self) -> str:
        """The value forms must post back as `csrf_token` (signed double-submit)."""
        return token_for(self.csrf_secret, self.csrf_cookie)

    def csrf_ok(self, posted: str) -> bool:
        return token_matches(self.csrf_secret, self.csrf_cookie, posted)

    def set_flash(self, message: str) -> None:
        self.changes.append(CookieChange(FLASH_COOKIE, quote(message), max_age=120))

    def sign_in(self, access_token: str, expires_in: int, refresh_token: str, days: int) -> None:
        self.changes.append(CookieChange(SESSION_COOKIE, access_token, max_age=expires_in))
        self.changes.append(
            CookieChange(REFRESH_COOKIE, refresh_token, max_age=days * 86400, samesite="strict")
        )

    def sign_out(self) -> None:
        self.principal = None
        self.access_token = None
        self.changes.append(CookieChange(SESSION_COOKIE, None))
        self.changes.append(CookieChange(REFRESH_COOKIE, None, samesite="strict"))

    def apply(self, response: Response, secure: bool) -> None:
        for change in self.changes:
            if change.value is None:
                response.delete_cookie(
                    change.name,
                    path=change.path,
                    secure=secure,
                    httponly=True,
                    samesite=change.samesite,  # type: ignore[arg-type]
                )
            else:
                response.set_cookie(
                    change.name,
                    change.value,
                    max_age=change.max_age,
                    path=change.path,
                    secure=secure,
                    httponly=True,
                    samesite=change.samesite,  # type: ignore[arg-type]
                )
        self.changes.clear()


class SignInRequired(Exception):
    """Raised by a page for a visitor who is not signed in: they are sent to sign in."""


class NotAllowed(Exception):
    """Raised by a page the member's roles do not open."""


def write_cookies(request: Request, response: Response) -> Response:
    """`response` carrying every cookie this request's session set or cleared."""
    session: WebSession | None = getattr(request.state, "web_session", None)
    if session is not None:
        session.apply(response, bool(request.app.state.settings.secure_cookies))
    return response


async def current_session(request: Request) -> WebSession:
    """Who is asking (refreshing an expired access token once), with CSRF and flash cookies."""
    csrf_secret: bytes = request.app.state.csrf_secret
    session = WebSession(csrf_secret=csrf_secret)
    request.state.web_session = session
    session.csrf_cookie = request.cookies.get(CSRF_COOKIE, "")
    if len(session.csrf_cookie) < MIN_COOKIE_CHARS:
        session.csrf_cookie = new_cookie_value()
        session.changes.append(CookieChange(CSRF_COOKIE, session.csrf_cookie))
    if FLASH_COOKIE in request.cookies:
        session.flash = unquote(request.cookies[FLASH_COOKIE])[:300]
        session.changes.append(CookieChange(FLASH_COOKIE, None))
    verifier: TokenVerifier = request.app.state.token_verifier
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        try:
            session.principal = await verifier.verify(token)
            session.access_token = token
        except InvalidToken:
            session.principal = None
    refresh_token = request.cookies.get(REFRESH_COOKIE)
    if session.principal is None and refresh_token:
        tokens = await request.app.state.refreshes.refresh(request, refresh_token)
        if tokens is None:
            session.sign_out()
        else:
            session.sign_in(
                tokens["access_token"],
                int(tokens["expires_in"]),
                tokens["refresh_token"],
                request.app.state.settings.refresh_cookie_days,
            )
            try:
                session.principal = await verifier.verify(tokens["access_token"])
                session.access_token = tokens["access_token"]
            except InvalidToken:
                session.sign_out()
    elif session.principal is None and token:
        session.changes.append(CookieChange(SESSION_COOKIE, None))
    if session.principal is not None:
        limit_member(request, session.principal)
    return session


async def signed_in(session: Annotated[WebSession, Depends(current_session)]) -> WebSession:
    if not session.signed_in:
        raise SignInRequired
    return session


async def programme_admin(session: Annotated[WebSession, Depends(signed_in)]) -> WebSession:
    if not session.is_admin:
        raise NotAllowed
    return session


Session = Annotated[WebSession, Depends(current_session)]
SignedIn = Annotated[WebSession, Depends(signed_in)]
ProgrammeAdmin = Annotated[WebSession, Depends(programme_admin)]

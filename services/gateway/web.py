"""What every web page shares: templates (GOV.UK Frontend macros), the session held in
cookies, CSRF tokens, calls to the services on the member's behalf, and HTML error pages.

Pages live in `services/gateway/pages/<area>.py` with templates in `templates/<area>/`; a page
takes `Session` (or `SignedIn` / `ProgrammeAdmin`) and answers with `render(...)` or
`redirect(...)`, which also write any cookie the session changed.

The session is two cookies: `convene_session` holds the access token (HttpOnly, SameSite=Lax,
Max-Age = the token's lifetime) and `convene_refresh` the refresh token (HttpOnly,
SameSite=Strict). When the access token has expired the gateway asks identity for a new pair
and rotates both cookies.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, unquote

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.chassis.problems import Problem
from services.chassis.tokens import InvalidToken, Principal, TokenVerifier
from services.gateway.proxy import limit_member
from services.gateway.service_client import Answer
from services.gateway.upstreams import Query, Upstream, send

SESSION_COOKIE = "convene_session"
REFRESH_COOKIE = "convene_refresh"
CSRF_COOKIE = "convene_csrf"
FLASH_COOKIE = "convene_flash"
SERVICE_NAME = "Convene"

environment = Environment(
    loader=ChoiceLoader(
        [
            FileSystemLoader(Path(__file__).parent / "templates"),
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
        ]
    ),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)


def long_date(value: str | None) -> str:
    """`2026-03-05` or an ISO timestamp as `5 March 2026` (the GOV.UK style)."""
    if not value:
        return ""
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    return f"{parsed.day} {parsed:%B %Y}"


environment.filters["long_date"] = long_date
templates = Jinja2Templates(env=environment)


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
        digest = hmac.new(self.csrf_secret, self.csrf_cookie.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def csrf_ok(self, posted: str) -> bool:
        return bool(self.csrf_cookie) and secrets.compare_digest(posted, self.csrf_token)

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


class RefreshOnce:
    """Refreshes in flight or just done, by refresh token: two requests that arrive together
    with the same expired session (two tabs) share one refresh, because presenting a spent
    refresh token twice would end the session (reuse detection). One process only."""

    def __init__(self, keep_seconds: float = 10) -> None:
        self.keep_seconds = keep_seconds
        self._results: dict[str, tuple[float, asyncio.Future[dict[str, Any] | None]]] = {}

    async def refresh(self, request: Request, refresh_token: str) -> dict[str, Any] | None:
        now = time.monotonic()
        self._results = {k: v for k, v in self._results.items() if now - v[0] < self.keep_seconds}
        key = hashlib.sha256(refresh_token.encode()).hexdigest()
        if key in self._results:
            return await asyncio.shield(self._results[key][1])
        future: asyncio.Future[dict[str, Any] | None] = asyncio.get_running_loop().create_future()
        self._results[key] = (now, future)
        try:
            answer = await call_identity(
                request, "POST", "/tokens/refresh", json={"refresh_token": refresh_token}
            )
            tokens = answer.json() if answer.status_code == 200 else None
        except Exception as exc:
            future.set_exception(exc)
            del self._results[key]
            raise
        future.set_result(tokens)
        return tokens


def _csrf_secret(request: Request) -> bytes:
    secret: bytes = request.app.state.csrf_secret
    return secret


async def call_identity(
    request: Request, method: str, path: str, *, json: object | None = None
) -> Answer:
    """identity, called for the person (their address forwarded), without their token."""
    upstream: Upstream = request.app.state.upstreams["identity"]
    return await send(
        request.app.state.upstream_client,
        upstream,
        method,
        path,
        json=json,
        headers={
            "x-forwarded-for": request.state.client_ip,
            "x-request-id": request.state.request_id,
        },
    )


async def current_session(request: Request) -> WebSession:
    """Who is asking (refreshing an expired access token once), with CSRF and flash cookies."""
    session = WebSession(csrf_secret=_csrf_secret(request))
    request.state.web_session = session
    session.csrf_cookie = request.cookies.get(CSRF_COOKIE, "")
    if len(session.csrf_cookie) < 32:
        session.csrf_cookie = secrets.token_urlsafe(32)
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


async def call_service(
    request: Request,
    session: WebSession,
    service: str,
    method: str,
    path: str,
    *,
    json: object | None = None,
    content: bytes | None = None,
    content_type: str | None = None,
    params: Query | None = None,
    forbidden_ok: bool = False,
) -> Answer:
    """A service, called with the member's token. 401 sends them to sign in again; 403 is the
    "cannot see this page" page unless `forbidden_ok` (a 403 the page explains itself, such as
    "blocked"); 503/504 become the "problem with the service" page; any other answer is the
    caller's to read."""
    upstream: Upstream = request.app.state.upstreams[service]
    headers = {
        "x-forwarded-for": request.state.client_ip,
        "x-request-id": request.state.request_id,
        "accept": "application/json",
    }
    if session.access_token:
        headers["authorization"] = f"Bearer {session.access_token}"
    if content_type:
        headers["content-type"] = content_type
    answer = await send(
        request.app.state.upstream_client,
        upstream,
        method,
        path,
        json=json,
        content=content,
        query=params,
        headers=headers,
    )
    if answer.status_code == 401:
        session.sign_out()
        raise SignInRequired
    if answer.status_code == 403 and not forbidden_ok:
        raise NotAllowed
    if answer.status_code >= 500:
        raise Problem(503, "Service unavailable", f"{service} answered {answer.status_code}")
    return answer


def page_context(request: Request, session: WebSession | None) -> dict[str, Any]:
    navigation: list[dict[str, Any]] = []
    if session is not None and session.signed_in:
        navigation.append({"href": "/", "text": "Home"})
        navigation.append({"href": "/directory", "text": "Find a leader"})
        navigation.append({"href": "/profile", "text": "Your profile"})
        navigation.append({"href": "/contact-requests", "text": "Contact requests"})
        navigation.append({"href": "/content", "text": "Your feed"})
        navigation.append({"href": "/feedback", "text": "Feedback"})
        if session.is_admin:
            navigation.append({"href": "/admin/invitations", "text": "Invitations"})
            navigation.append({"href": "/admin/cohorts", "text": "Cohorts"})
        navigation.append({"href": "/sign-out", "text": "Sign out"})
    else:
        navigation.append({"href": "/sign-in", "text": "Sign in"})
    path = request.url.path
    for item in navigation:
        item["active"] = item["href"] == path or (
            item["href"] != "/" and path.startswith(item["href"])
        )
    return {
        "cspNonce": getattr(request.state, "csp_nonce", ""),
        "serviceName": SERVICE_NAME,
        "navigation": navigation,
        "session": session,
        "csrf_token": session.csrf_token if session is not None else "",
        "flash": session.flash if session is not None else None,
    }


def render(
    request: Request,
    session: WebSession | None,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> Response:
    context = {**page_context(request, session), **(context or {})}
    errors: dict[str, str] = context.get("errors") or {}
    anchors: dict[str, str] = context.get("anchors") or {}
    context["error_list"] = [
        {"text": message, "href": f"#{anchors.get(name, name)}"} for name, message in errors.items()
    ]
    response = templates.TemplateResponse(
        request,
        template,
        context,
        status_code=status_code,
    )
    response.headers["cache-control"] = "no-store"
    return finish(request, response)


def redirect(request: Request, url: str) -> Response:
    """303 See Other: after a form post, the browser fetches `url` with GET."""
    return finish(request, RedirectResponse(url, status_code=303))


def finish(request: Request, response: Response) -> Response:
    session: WebSession | None = getattr(request.state, "web_session", None)
    if session is not None:
        session.apply(response, bool(request.app.state.settings.secure_cookies))
    return response


def error_page(request: Request, status_code: int, heading: str, message: str) -> Response:
    session: WebSession | None = getattr(request.state, "web_session", None)
    return render(
        request,
        session,
        "errors/error.html",
        {"heading": heading, "message": message},
        status_code=status_code,
    )


ERROR_PAGES = {
    400: ("Sorry, there is a problem with your request", "Go back and try again."),
    403: ("You cannot see this page", "Your account does not have access to this page."),
    404: ("Page not found", "If you typed the web address, check it is correct."),
    405: ("Page not found", "If you typed the web address, check it is correct."),
    413: ("The file or form is too large", "Send something smaller."),
    429: ("Too many requests", "You have sent too many requests. Wait a minute and try again."),
}


def wants_page(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get(
        "accept", ""
    )


def install_page_errors(app: FastAPI) -> None:
    """Errors on pages are pages; on the API (and for non-browser callers) they stay
    problem+json, answered by the chassis handlers installed before this."""
    api_handlers = dict(app.exception_handlers)

    def page_for(status_code: int) -> tuple[str, str]:
        return ERROR_PAGES.get(
            status_code,
            ("Sorry, there is a problem with the service", "Try again later."),
        )

    async def on_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Problem | StarletteHTTPException | RequestValidationError)
        if not wants_page(request):
            response: Response = await api_handlers[type(exc)](request, exc)
            return response
        status_code = (
            exc.status
            if isinstance(exc, Problem)
            else exc.status_code
            if isinstance(exc, StarletteHTTPException)
            else 400
        )
        heading, message = page_for(status_code)
        response = error_page(request, status_code, heading, message)
        headers = exc.headers if isinstance(exc, Problem | StarletteHTTPException) else None
        if headers and "Retry-After" in headers:
            response.headers["retry-after"] = headers["Retry-After"]
        return response

    async def on_sign_in_required(request: Request, _: Exception) -> Response:
        target = request.url.path
        if request.method != "GET" or not target.startswith("/") or target.startswith("//"):
            target = "/"
        return redirect(request, f"/sign-in?next={quote(target, safe='/')}")

    async def on_not_allowed(request: Request, _: Exception) -> Response:
        heading, message = page_for(403)
        return error_page(request, 403, heading, message)

    for kind in (Problem, StarletteHTTPException, RequestValidationError):
        app.add_exception_handler(kind, on_problem)
    app.add_exception_handler(SignInRequired, on_sign_in_required)
    app.add_exception_handler(NotAllowed, on_not_allowed)

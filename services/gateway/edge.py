"""The outermost layer every request and response passes, whatever answers it (a route, an
error handler, the static files or this layer itself).

In: a request id, the client's address, a CSP nonce, the per-address rate limit and the body
size limit. Out: the request id and security headers on every response, and a problem+json
500 instead of anything unexpected (never a stack trace).
"""

from __future__ import annotations

import base64
import logging
import math
import os
from collections.abc import Callable

from fastapi import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.chassis.problems import problem_response
from services.gateway.rate_limits import Limiter

log = logging.getLogger(__name__)

STATIC_HEADERS: list[tuple[bytes, bytes]] = [
    (b"strict-transport-security", b"max-age=31536000; includeSubDomains"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
#: Scripts only from this site or carrying this response's nonce (GOV.UK Frontend's one inline
#: script, which marks the body as JavaScript-enabled); no inline styles; nothing framed.
CSP = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self'; img-src 'self'; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'"
)
UNLIMITED_PATHS = ("/healthz", "/readyz", "/assets/")


def fresh_ids() -> tuple[str, str]:
    """A request id (32 hex digits) and a CSP nonce (22 URL-safe characters), 128 random bits
    each from the one draw of the system's CSPRNG (every request needs both)."""
    drawn = os.urandom(32)
    return drawn[:16].hex(), base64.urlsafe_b64encode(drawn[16:]).rstrip(b"=").decode()


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"Bodies are limited to {limit} bytes.")


def client_address(scope: Scope, trusted_proxy_hops: int) -> str:
    """The caller's address: the socket peer, or the entry `trusted_proxy_hops` from the right
    of X-Forwarded-For when that many proxies we run sit in front (entries further left are
    whatever the client claimed, so never trusted)."""
    peer = scope.get("client")
    address = peer[0] if peer else "unknown"
    if trusted_proxy_hops:
        forwarded = [
            part.strip()
            for name, value in scope["headers"]
            if name == b"x-forwarded-for"
            for part in value.decode("latin-1").split(",")
            if part.strip()
        ]
        if len(forwarded) >= trusted_proxy_hops:
            address = forwarded[-trusted_proxy_hops]
    return address


class EdgeMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        per_ip: Callable[[], Limiter],
        max_body_bytes: int,
        trusted_proxy_hops: int = 0,
        html_error: Callable[[Request, int, str, str], Response] | None = None,
    ) -> None:
        self.app = app
        self.per_ip = per_ip
        self.max_body_bytes = max_body_bytes
        self.trusted_proxy_hops = trusted_proxy_hops
        self.html_error = html_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        drawn, nonce = fresh_ids()
        request_id = incoming if 8 <= len(incoming) <= 64 else drawn
        client_ip = client_address(scope, self.trusted_proxy_hops)
        state = scope.setdefault("state", {})
        state.update(request_id=request_id, csp_nonce=nonce, client_ip=client_ip)
        extra = [
            (b"x-request-id", request_id.encode("latin-1")),
            (b"content-security-policy", CSP.format(nonce=nonce).encode()),
        ]
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(n, v) for n, v in STATIC_HEADERS + extra if n not in present]
                message = {**message, "headers": headers}
            await send(message)

        path: str = scope["path"]
        try:
            if not path.startswith(UNLIMITED_PATHS):
                wait = self.per_ip().take(client_ip)
                if wait > 0:
                    await self._refuse(scope, receive, send_with_headers, _too_many(wait))
                    return
            declared = _header(scope, b"content-length")
            if declared.isdigit() and int(declared) > self.max_body_bytes:
                raise BodyTooLarge(self.max_body_bytes)
            await self.app(scope, self._limited(receive), send_with_headers)
        except BodyTooLarge as exc:
            if started:
                raise
            body = problem_response(413, "Request too large", str(exc.detail), "too-large")
            await self._refuse(scope, receive, send_with_headers, body)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), path)
            if started:
                raise
            await self._refuse(
                scope,
                receive,
                send_with_headers,
                problem_response(
                    500, "Internal error", "Something went wrong on our side.", "internal"
                ),
            )

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, problem: Response) -> None:
        response = problem
        wants_page = not scope["path"].startswith("/api/") and "text/html" in _header(
            scope, b"accept"
        )
        if wants_page and self.html_error is not None:
            status = problem.status_code
            titles = {
                413: ("The file or form is too large", "Send something smaller."),
                429: ("Too many requests", "You have sent too many requests. Wait a minute."),
            }
            heading, message = titles.get(
                status, ("Sorry, there is a problem with the service", "Try again later.")
            )
            response = self.html_error(Request(scope), status, heading, message)
            for name in ("retry-after",):
                if name in problem.headers:
                    response.headers[name] = problem.headers[name]
        await response(scope, receive, send)

    def _limited(self, receive: Receive) -> Receive:
        received = 0
        limit = self.max_body_bytes

        async def receive_limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        return receive_limited


def _too_many(wait: float) -> Response:
    response = problem_response(
        429, "Too many requests", "Slow down and try again shortly.", "rate-limited"
    )
    response.headers["retry-after"] = str(max(1, math.ceil(wait)))
    return response


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return ""

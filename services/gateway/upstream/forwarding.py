"""Forwarding `/api/<service>/<path>` to the service, with the caller's token checked first.

Every API call crosses this, so it is answered by `ApiFastPath`, a plain ASGI layer inside the
edge (request id, security headers, per-address limit, body limit) and the telemetry
middleware, rather than by FastAPI's router and dependency machinery, which cost more CPU than
the forwarding itself (bench/gateway_overhead.py). The route below stays registered so
telemetry names the spans `/api/{service}/{path:path}` and the OpenAPI merge knows the prefix;
`ApiFastPath` answers before it is reached.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from services.chassis.problems import Problem, render_problem
from services.chassis.tokens import InvalidToken, Principal, TokenVerifier
from services.gateway.rate_limits import limit_member
from services.gateway.upstream.connections import Answer
from services.gateway.upstream.resilience import Upstream, send

# Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection and are never forwarded; the
# client's own forwarding claims are replaced by what the gateway saw.
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
}
#: Expect is answered by the gateway's own server: the body is whole before it is forwarded.
NOT_FORWARDED = HOP_BY_HOP | {"x-forwarded-for", "x-request-id", "cookie", "expect"}
#: Not passed back: the gateway's own server sends its Date and Server (a second Date would make
#: the response malformed). A Content-Encoding is kept: the body goes back as it came.
NOT_RETURNED = HOP_BY_HOP | {"date", "server"}
_NOT_RETURNED_RAW = frozenset(name.encode() for name in NOT_RETURNED)

router = APIRouter()
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
#: `/api/<service>/<rest>`, matched on the raw (still percent-encoded) path, so the service
#: receives the path exactly as the caller sent it.
API_PATH = re.compile(r"^/api/(?P<service>[^/]+)/(?P<path>.*)$")


async def verify_if_present(request: Request) -> Principal | None:
    """A token that is present must be valid; requests without one go on (the service decides)."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None  # e.g. HTTP Basic client credentials for the token endpoint: the service checks
    verifier: TokenVerifier = request.app.state.token_verifier
    try:
        if not token:
            raise InvalidToken("the Bearer token is empty")
        principal = await verifier.verify(token.strip())
    except InvalidToken as exc:
        raise Problem(
            401,
            "Unauthorised",
            str(exc),
            "invalid-token",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        ) from exc
    request.state.principal = principal
    return principal


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, refused as soon as it is known to exceed `limit` (never read whole first)."""
    declared = request.headers.get("content-length")
    if declared is None and "transfer-encoding" not in request.headers:
        return b""  # HTTP/1.1: no length and no chunks is no body; nothing to wait for
    too_large = Problem(
        413, "Request too large", f"Bodies are limited to {limit} bytes.", "too-large"
    )
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large
    return bytes(body)


def forwarded_headers(request: Request) -> dict[str, str]:
    """The caller's end-to-end headers plus the gateway's request id and the caller's address.

    Cookies stay at the gateway: services authenticate API calls by bearer token only, except
    identity's refresh and sign-out, which read its own refresh cookie.
    """
    headers = {k: v for k, v in request.headers.items() if k.lower() not in NOT_FORWARDED}
    headers["x-request-id"] = request.state.request_id
    headers["x-forwarded-for"] = request.state.client_ip
    return headers


class ApiFastPath:
    """Answers `/api/<service>/...` by forwarding; everything else goes on to the app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in METHODS:
            raw: bytes = scope.get("raw_path") or scope["path"].encode()
            match = API_PATH.match(raw.decode("latin-1"))
            if match is not None:
                request = Request(scope, receive)
                try:
                    response = await forward(match["service"], match["path"], request)
                except Problem as problem:
                    response = render_problem(problem)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


@router.api_route("/api/{service}/{path:path}", methods=list(METHODS), include_in_schema=False)
async def forward(service: str, path: str, request: Request) -> Response:
    return await _forward(service, path, request)


@router.api_route("/api/events", methods=["GET", "HEAD"], include_in_schema=False)
async def forward_event_feed(request: Request) -> Response:
    """Other departments' pull feed: a short public name for subscriptions' `/events`."""
    return await _forward("subscriptions", "events", request)


async def _forward(service: str, path: str, request: Request) -> Response:
    upstreams: dict[str, Upstream] = request.app.state.upstreams
    upstream = upstreams.get(service)
    if upstream is None:
        raise Problem(404, "Not found", f"There is no API called {service!r}.", "unknown-api")
    principal = await verify_if_present(request)
    if principal is not None:
        limit_member(request, principal)
    body = await _read_body(request, request.app.state.settings.max_body_bytes)
    headers = forwarded_headers(request)
    if service == "identity" and "cookie" in request.headers:
        headers["cookie"] = request.headers["cookie"]
    answer = await send(
        request.app.state.upstream_client,
        upstream,
        request.method,
        path,
        query=request.scope["query_string"].decode("latin-1"),
        headers=headers,
        content=body,
    )
    return PassedOn(answer)


class PassedOn(Response):
    """A service's answer as the API returns it: status, body and end-to-end headers in the
    order received, repeats kept (two Set-Cookie headers stay two), bytes never re-encoded."""

    def __init__(self, answer: Answer) -> None:
        super().__init__(answer.content, status_code=answer.status_code)
        self.raw_headers += [
            (name.lower(), value)
            for name, value in answer.raw_headers
            if name.lower() not in _NOT_RETURNED_RAW
        ]

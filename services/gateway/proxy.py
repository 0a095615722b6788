"""Forwarding `/api/<service>/<path>` to the service, with the caller's token checked first."""

from __future__ import annotations

import asyncio
import logging

import httpx
from fastapi import APIRouter, Request, Response

from services.chassis.problems import Problem
from services.chassis.tokens import InvalidToken, TokenVerifier

log = logging.getLogger(__name__)

# Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection and are never forwarded.
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
IDEMPOTENT = {"GET", "HEAD", "OPTIONS", "PUT", "DELETE"}
RETRIES = 2

router = APIRouter()


async def _verify_if_present(request: Request) -> None:
    """A token that is present must be valid; requests without one go on (the service decides)."""
    header = request.headers.get("authorization")
    if header is None:
        return
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return  # e.g. HTTP Basic client credentials for the token endpoint: the service checks them
    verifier: TokenVerifier = request.app.state.token_verifier
    try:
        if not token:
            raise InvalidToken("the Bearer token is empty")
        request.state.principal = await verifier.verify(token.strip())
    except InvalidToken as exc:
        raise Problem(
            401,
            "Unauthorised",
            str(exc),
            "invalid-token",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        ) from exc


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, refused as soon as it is known to exceed `limit` (never read whole first)."""
    too_large = Problem(
        413, "Request too large", f"Bodies are limited to {limit} bytes.", "too-large"
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large
    return bytes(body)


@router.api_route(
    "/api/{service}/{path:path}",
    methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"],
    include_in_schema=False,
)
async def forward(service: str, path: str, request: Request) -> Response:
    upstreams: dict[str, str] = request.app.state.upstreams
    base = upstreams.get(service)
    if base is None:
        raise Problem(404, "Not found", f"There is no API called {service!r}.", "unknown-api")
    await _verify_if_present(request)
    body = await _read_body(request, request.app.state.settings.max_body_bytes)
    headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
    headers["x-request-id"] = request.state.request_id
    headers["x-forwarded-for"] = request.client.host if request.client else ""
    client: httpx.AsyncClient = request.app.state.http
    upstream_request = client.build_request(
        request.method, f"{base}/{path}", params=request.query_params, headers=headers, content=body
    )
    attempts = RETRIES + 1 if request.method in IDEMPOTENT else 1
    for attempt in range(1, attempts + 1):
        try:
            upstream = await client.send(upstream_request)
            break
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            if attempt == attempts:
                log.warning("%s is unreachable: %s", service, exc)
                raise Problem(
                    503,
                    "Service unavailable",
                    f"The {service} service is unavailable; try again soon.",
                    "upstream-unavailable",
                    headers={"Retry-After": "5"},
                ) from exc
            await asyncio.sleep(0.1 * attempt)
        except httpx.TimeoutException as exc:
            raise Problem(
                504, "Upstream timeout", f"The {service} service took too long.", "upstream-timeout"
            ) from exc
    response = Response(upstream.content, status_code=upstream.status_code)
    # multi_items keeps repeated headers apart: two Set-Cookie headers must stay two.
    for name, value in upstream.headers.multi_items():
        if name.lower() not in HOP_BY_HOP:
            response.headers.append(name, value)
    return response

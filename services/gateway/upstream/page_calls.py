"""The web pages' calls to the services, over the same hop as the API (`resilience.send`).

`call_service` carries the member's token and turns the answers a page cannot explain into
the web session's refusals; `call_identity` calls identity for a person who has no token yet
(signing in, refreshing, signing out).
"""

from __future__ import annotations

from fastapi import Request

from services.chassis.problems import Problem
from services.gateway.upstream.connections import Answer
from services.gateway.upstream.resilience import Query, Upstream, send
from services.gateway.web.session_cookies import NotAllowed, SignInRequired, WebSession


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

"""What every caller of the gateway can rely on, whatever the service behind it."""

from __future__ import annotations

import re

import httpx

from services.chassis.problems import PROBLEM_JSON


async def test_an_unknown_api_is_a_problem_not_a_crash(stack) -> None:
    async with httpx.AsyncClient(base_url=stack.gateway_url) as client:
        response = await client.get("/api/payroll/people")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_JSON


async def test_responses_carry_security_headers_and_a_request_id(stack) -> None:
    async with httpx.AsyncClient(base_url=stack.gateway_url) as client:
        response = await client.get("/api/identity/.well-known/jwks.json")
        again = await client.get("/api/identity/.well-known/jwks.json")
        echoed = await client.get("/healthz", headers={"x-request-id": "req-1234567890"})
    assert response.status_code == 200
    assert response.headers["x-frame-options"] == "DENY"
    assert "unsafe-inline" not in response.headers["content-security-policy"]
    assert response.headers["strict-transport-security"].startswith("max-age=")
    ids = [r.headers["x-request-id"] for r in (response, again)]
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids), ids
    assert ids[0] != ids[1]
    assert echoed.headers["x-request-id"] == "req-1234567890"


async def test_readiness_reports_every_upstream(stack) -> None:
    async with httpx.AsyncClient(base_url=stack.gateway_url) as client:
        response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {
        "identity": "ok",
        "directory": "ok",
        "feedback": "ok",
        "content": "ok",
        "subscriptions": "ok",
    }


async def test_a_service_that_is_down_gives_503_with_retry_after(stack) -> None:
    from devstack.postgres import free_port
    from services.gateway.upstream.resilience import Upstream

    app = stack.apps["gateway"]
    saved = dict(app.state.upstreams)
    app.state.upstreams["content"] = Upstream("content", f"http://127.0.0.1:{free_port()}")
    try:
        async with httpx.AsyncClient(base_url=stack.gateway_url) as client:
            response = await client.get("/api/content/items")
    finally:
        app.state.upstreams.clear()
        app.state.upstreams.update(saved)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json()["title"] == "Service unavailable"


async def test_an_oversized_body_is_refused(stack) -> None:
    async with httpx.AsyncClient(base_url=stack.gateway_url) as client:
        response = await client.post("/api/identity/invitations", content=b"x" * 2_000_000)
    assert response.status_code == 413

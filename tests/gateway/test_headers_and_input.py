"""Security headers on every kind of response, CORS, and bad input answered as problems."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI

from services.chassis.problems import PROBLEM_JSON
from services.gateway.app import create_app
from services.gateway.config import GatewaySettings
from services.gateway.edge import EdgeMiddleware
from services.gateway.rate_limits import TokenBuckets

HEADERS = {
    "strict-transport-security",
    "x-content-type-options",
    "x-frame-options",
    "referrer-policy",
    "content-security-policy",
    "permissions-policy",
    "x-request-id",
}


def assert_secure(response: httpx.Response) -> None:
    missing = HEADERS - set(response.headers)
    assert not missing, f"{response.request.url}: missing {missing}"
    csp = response.headers["content-security-policy"]
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert "Traceback" not in response.text
    # Singleton fields (RFC 9110): the gateway's own, never a service's as well.
    for singleton in ("date", "server", "content-type"):
        assert len(response.headers.get_list(singleton)) <= 1, f"{singleton} twice"


async def test_every_kind_of_response_carries_the_security_headers(stack) -> None:
    admin = {"Authorization": f"Bearer {await stack.admin_token()}"}
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=10) as client:
        responses = {
            "api": await client.get("/api/identity/invitations", headers=admin),
            "page": await client.get("/"),
            "asset": await client.get("/assets/govuk-frontend.min.css"),
            "font": await client.get("/assets/fonts/bold-b542beb274-v2.woff2"),
            "unknown page": await client.get("/nowhere", headers={"accept": "text/html"}),
            "unknown api": await client.get("/api/nowhere/at/all"),
            "bad token": await client.get(
                "/api/identity/me", headers={"Authorization": "Bearer not.a.jwt"}
            ),
            "too large": await client.post("/api/identity/invitations", content=b"x" * 1_100_000),
            "health": await client.get("/readyz"),
            "docs": await client.get("/api/docs"),
        }
    for name, response in responses.items():
        assert_secure(response), name
    assert responses["asset"].status_code == 200
    assert responses["unknown page"].status_code == 404
    assert "Page not found" in responses["unknown page"].text
    assert responses["bad token"].status_code == 401
    assert responses["too large"].status_code == 413


async def test_the_page_nonce_matches_its_policy_and_changes_every_time(stack) -> None:
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=10) as client:
        first, second = await client.get("/"), await client.get("/")
    nonces = []
    for page in (first, second):
        nonce = re.search(r"'nonce-([^']+)'", page.headers["content-security-policy"])
        assert nonce is not None
        assert page.text.count(f'nonce="{nonce.group(1)}"') == 2  # the two inline scripts
        assert "<script>" not in page.text  # no inline script without the nonce
        nonces.append(nonce.group(1))
    assert nonces[0] != nonces[1]


async def test_an_unexpected_error_is_a_problem_with_headers_and_no_trace() -> None:
    app = FastAPI()

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    app.add_middleware(
        EdgeMiddleware, per_ip=lambda: TokenBuckets(1000, 1000), max_body_bytes=10_000
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        response = await client.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM_JSON
    assert "secret internals" not in response.text
    assert_secure(response)


@pytest.mark.parametrize(
    ("path", "body", "content_type", "status"),
    [
        ("", b"{not json", "application/json", 422),
        ("", b'{"full_name": 3}', "application/json", 422),
        ("", b"\xff\xfe", "application/json", 422),
        ("/bulk", b"{}", "application/json", 415),
        ("/bulk", b"name,mail\nx,y\n", "text/csv", 422),
    ],
)
async def test_bad_input_is_a_problem_with_the_right_4xx(
    stack, path: str, body: bytes, content_type: str, status: int
) -> None:
    admin = {"Authorization": f"Bearer {await stack.admin_token()}", "content-type": content_type}
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=10) as client:
        response = await client.post(
            f"/api/identity/invitations{path}", content=body, headers=admin
        )
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    assert_secure(response)


async def test_cors_allows_configured_origins_only() -> None:
    app = create_app(GatewaySettings(cors_origins="https://admin.example.gov.uk"))
    transport = httpx.ASGITransport(app=app)
    preflight = {"access-control-request-method": "POST"}
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        allowed = await client.options(
            "/api/identity/invitations",
            headers={"origin": "https://admin.example.gov.uk", **preflight},
        )
        refused = await client.options(
            "/api/identity/invitations", headers={"origin": "https://evil.example", **preflight}
        )
        simple = await client.get("/healthz", headers={"origin": "https://admin.example.gov.uk"})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://admin.example.gov.uk"
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers
    assert simple.headers["access-control-allow-origin"] == "https://admin.example.gov.uk"
    for response in (allowed, refused, simple):
        assert_secure(response)

"""SSRF protection: address classes, and the check made again at connect time against the
address actually connected to (a real loopback server stands in for an internal service)."""

from __future__ import annotations

import asyncio

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse
from starlette.routing import Route

from devstack.postgres import free_port
from services.subscriptions.adapters.webhook_client import DELIVERY_ERRORS, webhook_client
from services.subscriptions.adapters.webhook_targets import TargetPolicy
from services.subscriptions.domain.errors import TargetNotAllowed


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.5",
        "172.16.3.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:10.0.0.1",
    ],
)
async def test_non_public_addresses_are_refused(address: str) -> None:
    with pytest.raises(TargetNotAllowed):
        await TargetPolicy().resolve(address, 443)


async def test_public_addresses_pass() -> None:
    assert await TargetPolicy().resolve("8.8.8.8", 443) == ["8.8.8.8"]


def test_only_https_outside_the_allow_list() -> None:
    policy = TargetPolicy(frozenset({"127.0.0.1:9999"}))
    policy.check_url("http://127.0.0.1:9999/hook")
    for url in ("http://example.gov.uk/", "http://127.0.0.1:9998/", "file:///etc/passwd"):
        with pytest.raises(TargetNotAllowed):
            policy.check_url(url)


@pytest.fixture
async def internal_service():  # type: ignore[no-untyped-def]
    """An 'internal' HTTP service on loopback that records the Host it was asked for."""
    seen: list[str] = []

    async def answer(request: Request) -> JSONResponse:
        seen.append(request.headers["host"])
        return JSONResponse({"secret": "internal"})

    async def redirect(request: Request) -> RedirectResponse:
        return RedirectResponse("/", status_code=307)

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            Starlette(
                routes=[
                    Route("/", answer, methods=["POST"]),
                    Route("/redirect", redirect, methods=["POST"]),
                ]
            ),
            host="127.0.0.1",
            port=port,
            log_level="warning",
        )
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    yield port, seen
    server.should_exit = True
    await task


async def test_the_connection_itself_refuses_a_name_resolving_to_loopback(
    internal_service,
) -> None:
    port, seen = internal_service
    async with webhook_client(TargetPolicy(), timeout=5, connections=1) as client:
        with pytest.raises(TargetNotAllowed):
            await client.post(f"http://localhost:{port}/", content=b"{}")
    assert seen == []


async def test_an_allowed_name_is_connected_by_its_vetted_address_keeping_its_host(
    internal_service,
) -> None:
    port, seen = internal_service
    policy = TargetPolicy(frozenset({f"localhost:{port}"}))
    async with webhook_client(policy, timeout=5, connections=1) as client:
        response = await client.post(f"http://localhost:{port}/", content=b"{}")
    assert response.status_code == 200
    assert seen == [f"localhost:{port}"]


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "10.1.2.3", "169.254.169.254", "[::1]", "[::ffff:127.0.0.1]", "127.1"],
)
async def test_the_connection_itself_refuses_a_non_public_address_literal(
    internal_service, host: str
) -> None:
    port, seen = internal_service
    async with webhook_client(TargetPolicy(), timeout=2, connections=1) as client:
        with pytest.raises((TargetNotAllowed, *DELIVERY_ERRORS)):
            await client.post(f"http://{host}:{port}/", content=b"{}")
    assert seen == []


async def test_redirects_are_not_followed(internal_service) -> None:
    port, seen = internal_service
    policy = TargetPolicy(frozenset({f"127.0.0.1:{port}"}))
    async with webhook_client(policy, timeout=5, connections=1) as client:
        response = await client.post(f"http://127.0.0.1:{port}/redirect", content=b"{}")
    assert response.status_code == 307
    assert seen == []

"""One slow or broken service must not take the others down: timeouts, retries, circuits."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import aclosing

import httpx
import pytest
from fastapi import FastAPI
from support import served

from devstack.postgres import free_port
from services.chassis.problems import PROBLEM_JSON, Problem
from services.gateway.upstream.client import UpstreamClient
from services.gateway.upstream.resilience import CircuitBreaker, Upstream, send


@pytest.fixture
async def slow_service() -> AsyncIterator[str]:
    """A tiny service whose /slow answers after 5 s and /fast at once."""
    app = FastAPI()

    @app.get("/slow")
    async def slow() -> dict[str, str]:
        await asyncio.sleep(5)
        return {"late": "yes"}

    @app.get("/fast")
    async def fast() -> dict[str, str]:
        return {"fast": "yes"}

    async with served(app) as url:
        yield url


async def test_a_slow_service_times_out_with_504_while_other_routes_keep_serving(
    stack, slow_service, upstream_swap
) -> None:
    upstream_swap("content", Upstream("content", slow_service, timeout=1.0))
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=10) as client:
        slow = asyncio.create_task(client.get("/api/content/slow"))
        await asyncio.sleep(0.1)
        loop = asyncio.get_running_loop()
        started = loop.time()
        others = await asyncio.gather(
            client.get("/api/identity/.well-known/jwks.json"),
            client.get("/api/content/fast"),
            client.get("/healthz"),
        )
        assert loop.time() - started < 0.9, "other routes waited for the slow one"
        assert not slow.done()
        assert [r.status_code for r in others] == [200, 200, 200]
        timed_out = await slow
    assert timed_out.status_code == 504
    assert timed_out.headers["content-type"] == PROBLEM_JSON
    assert timed_out.json()["title"] == "Upstream timeout"
    assert "Traceback" not in timed_out.text


async def test_a_circuit_opens_after_repeated_failures_and_answers_503_at_once(
    stack, upstream_swap
) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    breaker = CircuitBreaker(failure_threshold=2, reset_seconds=30)
    upstream_swap("feedback", Upstream("feedback", dead, retries=0, breaker=breaker))
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=10) as client:
        first = await client.get("/api/feedback/campaigns")
        second = await client.get("/api/feedback/campaigns")
        assert breaker.state == "open"
        refused = await client.get("/api/feedback/campaigns")
        elsewhere = await client.get("/api/identity/.well-known/jwks.json")
    assert [first.status_code, second.status_code, refused.status_code] == [503, 503, 503]
    assert 25 <= int(refused.headers["retry-after"]) <= 30
    assert refused.headers["content-type"] == PROBLEM_JSON
    assert elsewhere.status_code == 200


def test_a_circuit_lets_one_trial_through_after_the_cool_down() -> None:
    now = [0.0]
    breaker = CircuitBreaker(failure_threshold=3, reset_seconds=10, clock=lambda: now[0])
    for _ in range(3):
        breaker.before_call()
        breaker.failed()
    assert breaker.state == "open"
    now[0] = 10.5
    assert breaker.state == "half-open"
    breaker.before_call()  # the trial
    with pytest.raises(Exception, match="circuit open"):
        breaker.before_call()  # only one at a time
    breaker.failed()
    assert breaker.state == "open"  # a failed trial reopens at once
    now[0] = 21
    breaker.before_call()
    breaker.succeeded()
    assert breaker.state == "closed"
    assert breaker.failures == 0


async def _flaky(method: str) -> tuple[int, int | str]:
    """Connections made, and the status (or error) when the service drops the first connection
    without answering (as when a kept-alive connection is closed under the gateway)."""
    calls = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal calls
        calls += 1
        await reader.readuntil(b"\r\n\r\n")
        if calls > 1:
            body = b'{"ok": true}'
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                + f"content-length: {len(body)}\r\nconnection: close\r\n\r\n".encode()
                + body
            )
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with aclosing(UpstreamClient()) as client:
            upstream = Upstream("x", f"http://127.0.0.1:{port}", retries=2)
            try:
                response = await send(client, upstream, method, "/things", content=b"{}")
            except Problem as problem:
                return calls, problem.status
    finally:
        server.close()
        await server.wait_closed()
    return calls, response.status_code


async def test_only_idempotent_methods_are_retried() -> None:
    assert await _flaky("GET") == (2, 200)
    assert await _flaky("PUT") == (2, 200)
    assert await _flaky("DELETE") == (2, 200)
    assert await _flaky("POST") == (1, 503)
    assert await _flaky("PATCH") == (1, 503)

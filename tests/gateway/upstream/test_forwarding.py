"""What the gateway passes on, both ways: the request as the caller sent it (minus what belongs
to the gateway) and the service's answer as the service gave it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from support import served

from services.gateway.upstream.resilience import Upstream


@pytest.fixture
async def echo_service() -> AsyncIterator[str]:
    """Answers with what reached it, and with headers a real service might send."""
    app = FastAPI()

    @app.api_route("/echo", methods=["GET", "POST"])
    async def echo(request: Request) -> Response:
        body = await request.body()
        seen = {
            "method": request.method,
            "query": request.scope["query_string"].decode(),
            "body": body.decode(),
            "cookie": request.headers.get("cookie"),
            "forwarded_for": request.headers.get("x-forwarded-for"),
            "request_id": request.headers.get("x-request-id"),
            "custom": request.headers.get("x-custom"),
        }
        response = Response(
            json.dumps(seen), media_type="text/plain; charset=utf-8", status_code=202
        )
        response.headers.append("set-cookie", "first=1; Path=/")
        response.headers.append("set-cookie", "second=2; Path=/")
        response.headers["x-service-note"] = "Kept"
        response.headers["location"] = "/somewhere?a=%2F"
        return response

    async with served(app) as url:
        yield url


@pytest.fixture
async def client(stack, echo_service, upstream_swap) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    upstream_swap("content", Upstream("content", echo_service))
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=10) as client:
        yield client


def seen(response: httpx.Response) -> dict[str, str | None]:
    assert response.status_code == 202, response.text
    found: dict[str, str | None] = json.loads(response.text)
    return found


async def test_the_answer_comes_back_as_the_service_gave_it(client: httpx.AsyncClient) -> None:
    answer = await client.get("/api/content/echo")
    assert answer.headers.get_list("set-cookie") == ["first=1; Path=/", "second=2; Path=/"]
    assert answer.headers["x-service-note"] == "Kept"
    assert answer.headers["location"] == "/somewhere?a=%2F"
    assert answer.headers["content-type"] == "text/plain; charset=utf-8"
    assert int(answer.headers["content-length"]) == len(answer.content)
    # The gateway's own headers, once each.
    assert len(answer.headers.get_list("date")) == 1
    assert answer.headers["x-request-id"]


async def test_the_request_goes_on_as_the_caller_sent_it(client: httpx.AsyncClient) -> None:
    got = seen(
        await client.get(
            "/api/content/echo?q=a%20b&tag=x&tag=%2F&empty=",
            headers={"X-Custom": "Yes", "Cookie": "session=secret", "X-Forwarded-For": "6.6.6.6"},
        )
    )
    assert got["method"] == "GET"
    assert got["query"] == "q=a%20b&tag=x&tag=%2F&empty="
    assert got["body"] == ""
    assert got["custom"] == "Yes"
    # Cookies stay at the gateway; the caller's address is what the gateway saw, not a claim.
    assert got["cookie"] is None
    assert got["forwarded_for"] == "127.0.0.1"
    assert got["request_id"]


async def test_bodies_go_on_whole_with_a_length_or_in_chunks(client: httpx.AsyncClient) -> None:
    with_length = seen(await client.post("/api/content/echo", content=b"name=Ada"))
    assert (with_length["method"], with_length["body"]) == ("POST", "name=Ada")

    async def chunks() -> AsyncIterator[bytes]:
        for part in (b"first ", b"second ", b"third"):
            yield part

    chunked = seen(await client.post("/api/content/echo", content=chunks()))
    assert chunked["body"] == "first second third"

"""Serving (chassis/serving.py): a response's head and body leave in one send, and every kind of
response still arrives whole and on time: bodiless, streamed, after 100 Continue, kept alive."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from support import served
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from services.chassis.serving import JOIN_LIMIT, HeadHeldForBody, OneSendProtocol

SENDS: list[bytes] = []
RELEASE_SECOND_CHUNK = asyncio.Event()


class CountedTransport:
    """The socket's transport, each write recorded (one write is one send on the wire)."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport

    def write(self, data: bytes) -> None:
        SENDS.append(bytes(data))
        self._transport.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class CountedOneSend(OneSendProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(CountedTransport(transport))  # type: ignore[arg-type]


class CountedPlain(HttpToolsProtocol):
    """uvicorn as it comes, counted the same way: what the chassis protocol improves on."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(CountedTransport(transport))  # type: ignore[arg-type]


async def small(_: Request) -> Response:
    return JSONResponse({"items": ["a" * 200] * 10})


async def large(_: Request) -> Response:
    return Response(b"x" * (JOIN_LIMIT * 2), media_type="application/octet-stream")


async def nothing(_: Request) -> Response:
    return Response(status_code=204)


async def streamed(_: Request) -> Response:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"first;"
        await RELEASE_SECOND_CHUNK.wait()
        yield b"second"

    return StreamingResponse(chunks(), media_type="text/plain")


async def echo(request: Request) -> Response:
    return Response(await request.body(), media_type="text/plain")


APP = Starlette(
    routes=[
        Route("/small", small, methods=["GET", "HEAD"]),
        Route("/large", large),
        Route("/nothing", nothing),
        Route("/streamed", streamed),
        Route("/echo", echo, methods=["POST"]),
    ]
)


def _serve(protocol: type[asyncio.Protocol]) -> AbstractAsyncContextManager[str]:
    # A response held forever must fail the test, not hang the server's shutdown.
    return served(APP, http=protocol, timeout_graceful_shutdown=1)


@pytest.fixture
async def one_send() -> AsyncIterator[str]:
    async with _serve(CountedOneSend) as url:
        yield url


@pytest.fixture
async def plain() -> AsyncIterator[str]:
    async with _serve(CountedPlain) as url:
        yield url


@pytest.fixture(autouse=True)
def fresh_counts() -> None:
    SENDS.clear()
    RELEASE_SECOND_CHUNK.clear()


async def test_a_small_response_leaves_in_one_send_where_uvicorn_alone_makes_two(
    one_send: str, plain: str
) -> None:
    async with httpx.AsyncClient(timeout=5) as client:
        answer = await client.get(f"{one_send}/small")
        assert answer.status_code == 200
        assert answer.json() == {"items": ["a" * 200] * 10}
        assert len(SENDS) == 1
        assert SENDS[0].startswith(b"HTTP/1.1 200 OK\r\n")
        assert SENDS[0].endswith(answer.content)

        SENDS.clear()
        assert (await client.get(f"{plain}/small")).status_code == 200
        assert len(SENDS) == 2


async def test_responses_kept_alive_on_one_connection_each_leave_in_one_send(
    one_send: str,
) -> None:
    async with httpx.AsyncClient(timeout=5, limits=httpx.Limits(max_connections=1)) as client:
        for _ in range(3):
            assert (await client.get(f"{one_send}/small")).status_code == 200
    assert len(SENDS) == 3


async def test_bodiless_answers_arrive_without_waiting(one_send: str) -> None:
    async with httpx.AsyncClient(timeout=2) as client:
        head = await client.head(f"{one_send}/small")
        assert head.status_code == 200
        assert int(head.headers["content-length"]) > 0
        assert head.content == b""
        empty = await client.get(f"{one_send}/nothing")
        assert empty.status_code == 204
        assert empty.content == b""


async def test_a_large_body_follows_its_head_unchanged(one_send: str) -> None:
    async with httpx.AsyncClient(timeout=5) as client:
        answer = await client.get(f"{one_send}/large")
    assert answer.status_code == 200
    assert answer.content == b"x" * (JOIN_LIMIT * 2)
    # Not copied onto the head: the head goes first, the body as it is.
    assert SENDS[0].startswith(b"HTTP/1.1 200 OK")
    assert SENDS[0].endswith(b"\r\n\r\n")


async def test_a_streamed_response_reaches_the_client_before_its_body_is_finished(
    one_send: str,
) -> None:
    async with (
        httpx.AsyncClient(timeout=2) as client,
        client.stream("GET", f"{one_send}/streamed") as answer,
    ):
        assert answer.status_code == 200
        chunks = answer.aiter_raw()
        assert await anext(chunks) == b"first;"
        RELEASE_SECOND_CHUNK.set()
        assert b"".join([chunk async for chunk in chunks]) == b"second"


async def test_a_client_expecting_100_continue_is_told_to_go_on(one_send: str) -> None:
    host, port = one_send.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        b"POST /echo HTTP/1.1\r\nhost: test\r\ncontent-length: 5\r\nexpect: 100-continue\r\n\r\n"
    )
    await writer.drain()
    # uvicorn sends 100 Continue when the app first reads the body.
    interim = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 2)
    assert interim.startswith(b"HTTP/1.1 100 Continue")
    writer.write(b"hello")
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 2)
    assert head.startswith(b"HTTP/1.1 200 OK")
    assert await asyncio.wait_for(reader.readexactly(5), 2) == b"hello"
    writer.close()


class Recorded:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        assert not self.closed
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True


async def test_a_head_held_when_the_connection_closes_is_sent_first() -> None:
    transport = Recorded()
    held = HeadHeldForBody(transport, asyncio.get_running_loop())  # type: ignore[arg-type]
    held.write(b"HTTP/1.1 500 Internal Server Error\r\n\r\n")
    assert transport.writes == []
    held.close()
    assert transport.writes == [b"HTTP/1.1 500 Internal Server Error\r\n\r\n"]
    assert transport.closed
    await asyncio.sleep(0)  # the loop's flush finds nothing left to send
    assert len(transport.writes) == 1


async def test_a_claimed_forwarding_address_does_not_become_the_caller() -> None:
    # Only the gateway decides who is calling (gateway/edge.py, its trusted proxy hops): an
    # X-Forwarded-For sent from loopback must not change the address an app sees.
    async def caller(request: Request) -> Response:
        return JSONResponse({"client": request.client.host if request.client else None})

    app = Starlette(routes=[Route("/caller", caller)])
    async with served(app) as url, httpx.AsyncClient(base_url=url) as client:
        seen = await client.get("/caller", headers={"X-Forwarded-For": "203.0.113.9"})
    assert seen.json() == {"client": "127.0.0.1"}

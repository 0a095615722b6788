"""The gateway's HTTP client for its hop to the services, against scripted servers.

Each server here answers with bytes written by hand, so every shape of answer a service (or a
broken one) can send is covered: lengths, chunks, bodies that run to the close, HEAD, interim
answers, early closes, garbage, silence.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import aclosing, asynccontextmanager

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from services.gateway.upstream.client import UpstreamClient
from services.gateway.upstream.connections import Answer, BadAnswer, Origin, Unreachable

tracer = trace.get_tracer(__name__)

Handler = Callable[["Scripted", asyncio.StreamReader, asyncio.StreamWriter, int], Awaitable[None]]


class Scripted:
    """A server whose connections are answered by `handler(self, reader, writer, number)`."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections = 0
        self.open = 0
        self.most_open = 0
        self.requests: list[bytes] = []

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.open += 1
        self.most_open = max(self.most_open, self.open)
        try:
            await self.handler(self, reader, writer, self.connections)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.open -= 1
            writer.close()

    async def read_request(self, reader: asyncio.StreamReader) -> bytes:
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        request = head + (await reader.readexactly(length) if length else b"")
        self.requests.append(request)
        return request


@asynccontextmanager
async def scripted(handler: Handler) -> AsyncIterator[tuple[Scripted, Origin]]:
    script = Scripted(handler)
    server = await asyncio.start_server(script.serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield script, Origin("127.0.0.1", port)
    finally:
        server.close()


def answering(*answers: bytes) -> Handler:
    """Answer each request with the next of `answers`, on any connection (the last repeats)."""

    async def handle(
        script: Scripted, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int
    ) -> None:
        while True:
            await script.read_request(reader)
            writer.write(answers[min(len(script.requests), len(answers)) - 1])
            await writer.drain()

    return handle


def once_then_close(answer: bytes) -> Handler:
    """Answer the first request on each connection with `answer`, then close it."""

    async def handle(
        script: Scripted, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int
    ) -> None:
        await script.read_request(reader)
        writer.write(answer)
        await writer.drain()

    return handle


def serving(*answers: bytes):  # type: ignore[no-untyped-def]
    return scripted(answering(*answers))


async def get_twice(client: UpstreamClient, origin: Origin) -> tuple[Answer, Answer]:
    return (
        await client.request(origin, "GET", "/", {}, timeout=5),
        await client.request(origin, "GET", "/", {}, timeout=5),
    )


@pytest.fixture
async def client() -> AsyncIterator[UpstreamClient]:
    async with aclosing(UpstreamClient(traced=False)) as client:
        yield client


OK = b'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\n\r\n{"ok":true}'


async def test_a_kept_connection_carries_the_next_request(client: UpstreamClient) -> None:
    async with serving(OK) as (script, origin):
        first = await client.request(origin, "GET", "/a", {}, timeout=5)
        second = await client.request(origin, "GET", "/b", {}, timeout=5)
    assert (first.status_code, first.json(), second.json()) == (200, {"ok": True}, {"ok": True})
    assert script.connections == 1


async def test_the_request_goes_out_byte_for_byte_under_the_services_prefix(
    client: UpstreamClient,
) -> None:
    async with serving(OK) as (script, origin):
        prefixed = Origin(origin.host, origin.port, prefix="/directory")
        await client.request(
            prefixed,
            "POST",
            "/profiles/%C3%A9?q=a%2Fb&q=c",
            {"x-request-id": "r1", "content-type": "application/json"},
            b'{"a": 1}',
            timeout=5,
        )
    sent = script.requests[0]
    assert sent.startswith(b"POST /directory/profiles/%C3%A9?q=a%2Fb&q=c HTTP/1.1\r\n")
    assert f"host: 127.0.0.1:{origin.port}\r\n".encode() in sent
    assert b"x-request-id: r1\r\n" in sent
    assert b"content-length: 8\r\n" in sent
    assert sent.endswith(b'\r\n\r\n{"a": 1}')


async def test_headers_come_back_as_received_repeats_and_order_kept(
    client: UpstreamClient,
) -> None:
    answer = (
        b"HTTP/1.1 201 Created\r\nSet-Cookie: a=1\r\nX-Note: Kept\r\nset-cookie: b=2\r\n"
        b"content-length: 0\r\n\r\n"
    )
    async with serving(answer) as (_, origin):
        got = await client.request(origin, "POST", "/", {}, timeout=5)
    assert got.status_code == 201
    assert got.raw_headers[:3] == (
        (b"Set-Cookie", b"a=1"),
        (b"X-Note", b"Kept"),
        (b"set-cookie", b"b=2"),
    )
    assert got.headers.getall("set-cookie") == ["a=1", "b=2"]
    assert got.headers["x-note"] == "Kept"
    assert got.content == b""


async def test_a_chunked_answer_arrives_whole(client: UpstreamClient) -> None:
    answer = (
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n"
    )
    async with serving(answer) as (script, origin):
        first, second = await get_twice(client, origin)
    assert first.content == second.content == b"hello, world"
    assert script.connections == 1


async def test_an_answer_without_a_length_runs_until_the_connection_closes(
    client: UpstreamClient,
) -> None:
    async with scripted(
        once_then_close(b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nall of it")
    ) as (script, origin):
        first, second = await get_twice(client, origin)
    assert first.content == second.content == b"all of it"
    assert script.connections == 2


async def test_an_answer_to_head_has_no_body_whatever_its_length_says(
    client: UpstreamClient,
) -> None:
    head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\n\r\n"
    async with serving(head) as (_, origin):
        got = await asyncio.wait_for(client.request(origin, "HEAD", "/", {}, timeout=5), 2)
        after = await client.request(origin, "HEAD", "/", {}, timeout=5)
    assert (got.status_code, got.content, got.headers["content-length"]) == (200, b"", "11")
    assert after.status_code == 200


async def test_no_content_and_not_modified_have_no_body(client: UpstreamClient) -> None:
    async with serving(
        b"HTTP/1.1 204 No Content\r\n\r\n", b"HTTP/1.1 304 Not Modified\r\netag: x\r\n\r\n"
    ) as (script, origin):
        first = await asyncio.wait_for(client.request(origin, "DELETE", "/", {}, timeout=5), 2)
        second = await asyncio.wait_for(client.request(origin, "GET", "/", {}, timeout=5), 2)
    assert (first.status_code, first.content, second.status_code) == (204, b"", 304)
    assert script.connections == 1


async def test_an_interim_answer_is_passed_over_for_the_real_one(client: UpstreamClient) -> None:
    async with serving(b"HTTP/1.1 100 Continue\r\n\r\n" + OK) as (_, origin):
        got = await client.request(origin, "PUT", "/", {}, b"{}", timeout=5)
    assert (got.status_code, got.json()) == (200, {"ok": True})
    assert b"100" not in b"".join(v for _, v in got.raw_headers)


async def test_a_service_that_says_close_gets_a_new_connection_next_time(
    client: UpstreamClient,
) -> None:
    closing = b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\nok"
    async with serving(closing) as (script, origin):
        for _ in range(3):
            assert (await client.request(origin, "GET", "/", {}, timeout=5)).content == b"ok"
    assert script.connections == 3


async def test_a_kept_connection_the_service_closed_is_not_used_again(
    client: UpstreamClient,
) -> None:
    async with scripted(once_then_close(OK)) as (script, origin):
        await client.request(origin, "GET", "/", {}, timeout=5)
        await asyncio.sleep(0.1)
        again = await client.request(origin, "GET", "/", {}, timeout=5)
    assert again.json() == {"ok": True}
    assert script.connections == 2


async def test_a_connection_unused_for_a_while_is_retired() -> None:
    async with (
        aclosing(UpstreamClient(traced=False, idle_seconds=0.1)) as client,
        serving(OK) as (script, origin),
    ):
        await client.request(origin, "GET", "/", {}, timeout=5)
        await asyncio.sleep(0.2)
        await client.request(origin, "GET", "/", {}, timeout=5)
    assert script.connections == 2


async def test_a_close_before_any_answer_is_unreachable(client: UpstreamClient) -> None:
    async def handle(
        _s: Scripted, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int
    ) -> None:
        await reader.readuntil(b"\r\n\r\n")

    async with scripted(handle) as (_, origin):
        with pytest.raises(Unreachable):
            await client.request(origin, "POST", "/", {}, b"{}", timeout=5)


async def test_an_answer_cut_off_is_a_bad_answer(client: UpstreamClient) -> None:
    async with scripted(
        once_then_close(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly ten b")
    ) as (_, origin):
        with pytest.raises(BadAnswer, match="middle of an answer"):
            await client.request(origin, "GET", "/", {}, timeout=5)


async def test_garbage_is_a_bad_answer_and_the_next_request_still_works(
    client: UpstreamClient,
) -> None:
    async with serving(b"SMTP ready\r\n\r\n", OK) as (script, origin):
        with pytest.raises(BadAnswer, match="malformed"):
            await client.request(origin, "GET", "/", {}, timeout=5)
        assert (await client.request(origin, "GET", "/", {}, timeout=5)).status_code == 200
    assert script.connections == 2


async def test_bytes_after_an_answer_never_reach_the_next_caller(client: UpstreamClient) -> None:
    extra = OK + b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n"
    async with serving(extra, OK) as (script, origin):
        first, second = await get_twice(client, origin)
    assert (first.status_code, second.status_code) == (200, 200)
    assert script.connections == 2


async def test_switching_protocols_is_refused(client: UpstreamClient) -> None:
    upgrade = (
        b"HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\n\r\n"
    )
    async with serving(upgrade) as (_, origin):
        with pytest.raises(BadAnswer, match="switch protocols"):
            await client.request(origin, "GET", "/", {}, timeout=5)


async def test_a_silent_service_times_out_and_its_connection_is_dropped(
    client: UpstreamClient,
) -> None:
    async def handle(
        _s: Scripted, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int
    ) -> None:
        await reader.readuntil(b"\r\n\r\n")
        if n == 1:
            await asyncio.sleep(10)  # never answers the first
        writer.write(OK)
        await writer.drain()

    async with scripted(handle) as (script, origin):
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(TimeoutError):
            await client.request(origin, "GET", "/", {}, timeout=0.3)
        assert 0.25 < loop.time() - started < 2
        assert (await client.request(origin, "GET", "/", {}, timeout=5)).status_code == 200
    assert script.connections == 2


async def test_nobody_listening_is_unreachable(client: UpstreamClient) -> None:
    async with serving(OK) as (_, origin):
        pass  # closed again: the port is free
    with pytest.raises(Unreachable, match="cannot connect"):
        await client.request(origin, "GET", "/", {}, timeout=5)


async def test_no_more_connections_than_allowed_and_every_caller_answered() -> None:
    async def handle(
        _s: Scripted, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int
    ) -> None:
        while True:
            await reader.readuntil(b"\r\n\r\n")
            await asyncio.sleep(0.05)
            writer.write(OK)
            await writer.drain()

    async with (
        aclosing(UpstreamClient(traced=False, per_origin=2)) as client,
        scripted(handle) as (script, origin),
    ):
        answers = await asyncio.gather(
            *(client.request(origin, "GET", "/", {}, timeout=5) for _ in range(7))
        )
    assert [a.status_code for a in answers] == [200] * 7
    assert script.most_open == 2


async def test_a_caller_that_gives_up_frees_its_place() -> None:
    async def handle(
        _s: Scripted, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int
    ) -> None:
        while True:
            await reader.readuntil(b"\r\n\r\n")
            if n == 1:
                await asyncio.sleep(10)
            writer.write(OK)
            await writer.drain()

    async with (
        aclosing(UpstreamClient(traced=False, per_origin=1)) as client,
        scripted(handle) as (script, origin),
    ):
        stuck = asyncio.create_task(client.request(origin, "GET", "/", {}, timeout=30))
        await asyncio.sleep(0.1)
        waiting = asyncio.create_task(client.request(origin, "GET", "/", {}, timeout=30))
        await asyncio.sleep(0.1)
        stuck.cancel()  # the member went away
        got = await asyncio.wait_for(waiting, 2)
    assert got.status_code == 200
    assert script.connections == 2  # the abandoned connection was not handed on


async def test_a_line_break_in_a_header_is_refused_before_anything_is_sent(
    client: UpstreamClient,
) -> None:
    async with serving(OK) as (script, origin):
        with pytest.raises(ValueError, match="line break"):
            await client.request(origin, "GET", "/", {"x-a": "1\r\nx-admin: yes"}, timeout=5)
        with pytest.raises(ValueError, match="line break"):
            await client.request(origin, "GET", "/\r\nx-admin: yes", {}, timeout=5)
    assert script.requests == []


def test_a_service_address_is_read_once() -> None:
    assert Origin.parse("http://directory:8000") == Origin("directory", 8000)
    assert Origin.parse("https://content.internal/v1/") == Origin(
        "content.internal", 443, tls=True, prefix="/v1"
    )
    with pytest.raises(ValueError, match="http"):
        Origin.parse("ftp://directory")


async def test_each_call_is_a_client_span_carrying_the_trace_on(
    spans: InMemorySpanExporter,
) -> None:
    failing = b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n"
    async with aclosing(UpstreamClient()) as client, serving(failing) as (script, origin):
        with tracer.start_as_current_span("the member's request") as outer:
            got = await client.request(origin, "GET", "/profiles?q=a", {}, timeout=5)
    assert got.status_code == 503
    (call,) = [
        s
        for s in spans.get_finished_spans()
        if s.parent and s.parent.span_id == outer.get_span_context().span_id
    ]
    assert (call.kind, call.name, call.status.status_code) == (
        SpanKind.CLIENT,
        "GET",
        StatusCode.ERROR,
    )
    assert call.attributes["url.full"] == f"http://127.0.0.1:{origin.port}/profiles?q=a"
    assert call.attributes["http.response.status_code"] == 503
    traceparent = f"traceparent: 00-{call.context.trace_id:032x}-{call.context.span_id:016x}-"
    assert traceparent.encode() in script.requests[0]

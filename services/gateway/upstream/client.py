"""HTTP/1.1 to the services over kept-alive connections: the upstream hop's own client.

Every API call a member makes crosses this hop, so the client does only what the hop needs and
lets httptools parse the answer: aiohttp's client, which it replaced, spent most of its CPU per
call on request and response objects, stream readers, timers and trace hooks (the measurements
are in docs/gateway.md). What it does, and leaves out on purpose:

- one request at a time on a connection (no pipelining); up to `per_origin` connections to
  each service, kept for the next call and retired after `idle_seconds` unused, which is
  shorter than the services' own keep-alive (`serving.KEEP_ALIVE_SECONDS`), so a connection is
  not reused just as the service closes it;
- whole bodies both ways: the gateway bounds what members send, and services answer pages;
- no redirects, cookies, proxies or decompression: the answer goes back as it came.

Errors say what a caller may do next: `Unreachable` (nothing was answered: no connection, or
it closed before the first byte of an answer; an idempotent request may be sent again),
`TimeoutError` (no whole answer in time), `BadAnswer` (an answer that cannot be passed on).
"""

from __future__ import annotations

import asyncio
import json
import ssl
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

import httptools
from multidict import CIMultiDict, CIMultiDictProxy
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, StatusCode

from services.chassis.serving import KEEP_ALIVE_SECONDS

tracer = trace.get_tracer(__name__)


class Unreachable(ConnectionError):
    """The service answered nothing: no connection, or the connection closed before any byte
    of an answer arrived."""


class BadAnswer(Exception):
    """The service's answer was malformed, cut off, or something this hop does not carry."""


@dataclass(frozen=True)
class Origin:
    """Where a service is: scheme, host and port, and the path its routes start under."""

    host: str
    port: int
    tls: bool = False
    prefix: str = ""

    @classmethod
    def parse(cls, base_url: str) -> Origin:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"a service URL must be http(s)://host[:port][/path]: {base_url!r}")
        tls = parts.scheme == "https"
        return cls(parts.hostname, parts.port or (443 if tls else 80), tls, parts.path.rstrip("/"))

    @property
    def authority(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class Answer:
    """A service's whole answer, read before its connection went back to the pool."""

    status_code: int
    content: bytes
    #: Names and values as received, in order, repeats kept: what the API passes back unchanged.
    raw_headers: tuple[tuple[bytes, bytes], ...] = ()

    @cached_property
    def headers(self) -> CIMultiDictProxy[str]:
        """The headers to read by name (any case); made only when a page asks."""
        return CIMultiDictProxy(
            CIMultiDict((k.decode("latin-1"), v.decode("latin-1")) for k, v in self.raw_headers)
        )

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.content)


class _Connection(asyncio.Protocol):
    """One connection to a service, carrying one request and its answer at a time."""

    def __init__(self, pool: _Pool) -> None:
        self.pool = pool
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.answer: asyncio.Future[Answer] | None = None
        self.headers: list[tuple[bytes, bytes]] = []
        self.body: list[bytes] = []
        self.received = False
        self.headers_complete = False
        self.head_only = False
        #: False once this connection must not carry another request.
        self.reusable = True
        self.idle_since = 0.0

    # Called by the pool.
    def exchange(self, request: bytes, *, head_only: bool) -> asyncio.Future[Answer]:
        assert self.transport is not None
        self.answer = self.pool.loop.create_future()
        self.headers = []
        self.body = []
        self.received = self.headers_complete = False
        self.head_only = head_only
        self.transport.write(request)
        return self.answer

    @property
    def open(self) -> bool:
        return self.transport is not None and not self.transport.is_closing()

    def time_out(self) -> None:
        self._fail(TimeoutError("the service did not answer in time"))
        self.close()

    def close(self) -> None:
        self.reusable = False
        if self.transport is not None:
            self.transport.abort()  # nothing of ours is left to send; never wait to linger

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        self.reusable = False
        answer = self.answer
        if answer is None:
            self.pool.forget_idle(self)  # the service closed a connection we were keeping
        elif not answer.done():
            if self.headers_complete and not self._length_known():
                self._complete()  # a body that runs until the connection closes (RFC 9112 §6.3)
            elif self.received:
                self._fail(BadAnswer("the connection closed in the middle of an answer"))
            else:
                self._fail(Unreachable("the connection closed before an answer"))

    def data_received(self, data: bytes) -> None:
        if self.answer is None or self.answer.done():
            self.close()  # bytes nobody asked for: this connection cannot be trusted again
            return
        self.received = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(BadAnswer(f"malformed answer: {exc}"))
            self.close()

    # httptools callbacks
    def on_message_begin(self) -> None:
        if self.answer is None or self.answer.done():
            self.reusable = False  # a second answer nobody asked for: what follows is unknown

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self.headers_complete = True
        if self.head_only and self.parser.get_status_code() >= 200:
            # An answer to HEAD has no body whatever its Content-Length says; the parser does
            # not know the request, so this connection is not parsed any further.
            self.reusable = False
            self._complete()

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        status = self.parser.get_status_code()
        if status < 200:
            if status == 101:
                self._fail(BadAnswer("a service may not switch protocols here"))
                self.close()
                return
            self.headers = []  # 100 Continue and other interim answers: the real one follows
            self.headers_complete = False
            return
        if not self.parser.should_keep_alive():
            self.reusable = False
        self._complete()

    def _complete(self) -> None:
        answer = self.answer
        if answer is not None and not answer.done():
            answer.set_result(
                Answer(self.parser.get_status_code(), b"".join(self.body), tuple(self.headers))
            )

    def _fail(self, exc: BaseException) -> None:
        answer = self.answer
        if answer is not None and not answer.done():
            answer.set_exception(exc)

    def _length_known(self) -> bool:
        names = {name.lower() for name, _ in self.headers}
        return b"content-length" in names or b"transfer-encoding" in names


@dataclass(eq=False)
class _Pool:
    """The connections to one origin: idle ones newest last, and those waiting for one."""

    origin: Origin
    loop: asyncio.AbstractEventLoop
    idle: deque[_Connection] = field(default_factory=deque)
    #: Connections open, idle or busy; never more than the client's `per_origin`.
    count: int = 0
    #: Callers waiting for a connection: given one that was released, or None (connect anew).
    waiters: deque[asyncio.Future[_Connection | None]] = field(default_factory=deque)

    def forget_idle(self, connection: _Connection) -> None:
        try:
            self.idle.remove(connection)
        except ValueError:
            return  # already taken out, or closed while busy: counted there
        self.count -= 1
        self.pass_slot_on()

    def pass_slot_on(self) -> None:
        """One connection fewer: let the first waiter still waiting make its own."""
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                self.count += 1
                return


class UpstreamClient:
    """Requests to the services, each pool of connections made on first use."""

    def __init__(
        self,
        *,
        per_origin: int = 100,
        connect_timeout: float = 2.0,
        idle_seconds: float = KEEP_ALIVE_SECONDS - 2,
        traced: bool = True,
    ) -> None:
        self.per_origin = per_origin
        self.connect_timeout = connect_timeout
        self.idle_seconds = idle_seconds
        self.traced = traced
        self._pools: dict[Origin, _Pool] = {}
        self._closed = False
        self._tls: ssl.SSLContext | None = None

    async def request(
        self,
        origin: Origin,
        method: str,
        target: str,
        headers: Mapping[str, str],
        body: bytes = b"",
        *,
        timeout: float,
    ) -> Answer:
        """`target` is the path and query under the origin's prefix, sent byte for byte."""
        if not self.traced:
            return await self._request(origin, method, target, headers, body, timeout)
        with tracer.start_as_current_span(
            method,
            kind=SpanKind.CLIENT,
            attributes={
                "http.request.method": method,
                "server.address": origin.host,
                "server.port": origin.port,
                "url.full": f"{'https' if origin.tls else 'http'}://{origin.authority}"
                + origin.prefix
                + target,
            },
            record_exception=True,
        ) as span:
            traced_headers = dict(headers)
            propagate.inject(traced_headers)
            answer = await self._request(origin, method, target, traced_headers, body, timeout)
            span.set_attribute("http.response.status_code", answer.status_code)
            if answer.status_code >= 500:
                span.set_status(StatusCode.ERROR)
                span.set_attribute("error.type", str(answer.status_code))
            return answer

    async def _request(
        self,
        origin: Origin,
        method: str,
        target: str,
        headers: Mapping[str, str],
        body: bytes,
        timeout: float,
    ) -> Answer:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        pool = self._pools.get(origin)
        if pool is None:
            pool = self._pools[origin] = _Pool(origin, loop)
        request = _encode(origin, method, target, headers, body)
        connection = await self._acquire(pool, deadline)
        timer = loop.call_at(deadline, connection.time_out)
        try:
            return await connection.exchange(request, head_only=method == "HEAD")
        except BaseException:
            connection.close()  # cancelled, timed out or failed half way: never reused
            raise
        finally:
            timer.cancel()
            connection.answer = None
            self._release(pool, connection)

    async def _acquire(self, pool: _Pool, deadline: float) -> _Connection:
        idle = pool.idle
        now = pool.loop.time()
        while idle:
            connection = idle.pop()
            if connection.open and now - connection.idle_since < self.idle_seconds:
                return connection
            connection.close()
            pool.count -= 1
        if pool.count >= self.per_origin:
            waiter: asyncio.Future[_Connection | None] = pool.loop.create_future()
            pool.waiters.append(waiter)
            try:
                async with asyncio.timeout_at(deadline):
                    given = await waiter
            except BaseException:
                if waiter.done() and not waiter.cancelled():
                    # Given a connection (or a slot) just as it gave up: pass it on.
                    handed = waiter.result()
                    if handed is None:
                        pool.count -= 1
                        pool.pass_slot_on()
                    else:
                        self._release(pool, handed)
                raise
            if given is not None and given.open:
                return given
            # Otherwise a free place, or a connection that closed on its way here: its place.
        else:
            pool.count += 1
        try:
            return await self._connect(pool, deadline)
        except BaseException:
            pool.count -= 1
            pool.pass_slot_on()
            raise

    async def _connect(self, pool: _Pool, deadline: float) -> _Connection:
        origin = pool.origin
        limit = min(self.connect_timeout, deadline - pool.loop.time())
        try:
            async with asyncio.timeout(limit):
                _, connection = await pool.loop.create_connection(
                    lambda: _Connection(pool),
                    origin.host,
                    origin.port,
                    ssl=self._tls_context() if origin.tls else None,
                )
        except TimeoutError as exc:
            raise Unreachable(f"no connection to {origin.authority} within {limit:.1f} s") from exc
        except OSError as exc:
            raise Unreachable(f"cannot connect to {origin.authority}: {exc}") from exc
        return connection

    def _release(self, pool: _Pool, connection: _Connection) -> None:
        if self._closed or not connection.reusable or not connection.open:
            connection.close()
            pool.count -= 1
            pool.pass_slot_on()
            return
        while pool.waiters:
            waiter = pool.waiters.popleft()
            if not waiter.done():
                waiter.set_result(connection)
                return
        connection.idle_since = pool.loop.time()
        pool.idle.append(connection)
        # Retire the longest-unused while the pool has more than the load needs.
        oldest = pool.idle[0]
        if connection.idle_since - oldest.idle_since >= self.idle_seconds:
            pool.idle.popleft()
            oldest.close()
            pool.count -= 1

    def _tls_context(self) -> ssl.SSLContext:
        if self._tls is None:
            self._tls = ssl.create_default_context()
        return self._tls

    async def aclose(self) -> None:
        """Close every idle connection now; busy ones close as their answers arrive."""
        self._closed = True
        for pool in self._pools.values():
            while pool.idle:
                pool.idle.pop().close()
                pool.count -= 1
            for waiter in pool.waiters:
                waiter.cancel()
        await asyncio.sleep(0)  # let the transports finish closing


def _encode(
    origin: Origin, method: str, target: str, headers: Mapping[str, str], body: bytes
) -> bytes:
    lines = [f"{method} {origin.prefix}{target} HTTP/1.1", f"host: {origin.authority}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"content-length: {len(body)}")
    head = "\r\n".join(lines) + "\r\n\r\n"
    # A CR or LF inside a name, value or target would start a header (or a request) of the
    # caller's making: the line breaks must be exactly the ones written above.
    if head.count("\n") != len(lines) + 1 or head.count("\r") != len(lines) + 1:
        raise ValueError("a header or the target contains a line break")
    if " " in target:
        raise ValueError("the target contains a space")
    return head.encode("latin-1") + body

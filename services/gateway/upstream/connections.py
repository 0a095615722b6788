"""One kept-alive HTTP/1.1 connection to a service (an asyncio protocol fed to httptools), the
pool of them for one origin, and what a call gives back: an `Answer`, or `Unreachable` /
`BadAnswer`. `client.UpstreamClient` decides when connections are made, reused and retired."""

from __future__ import annotations

import asyncio
import json
from collections import deque
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

import httptools
from multidict import CIMultiDict, CIMultiDictProxy


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


class Connection(asyncio.Protocol):
    """One connection to a service, carrying one request and its answer at a time."""

    def __init__(self, pool: Pool) -> None:
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
class Pool:
    """The connections to one origin: idle ones newest last, and those waiting for one."""

    origin: Origin
    loop: asyncio.AbstractEventLoop
    idle: deque[Connection] = field(default_factory=deque)
    #: Connections open, idle or busy; never more than the client's `per_origin`.
    count: int = 0
    #: Callers waiting for a connection: given one that was released, or None (connect anew).
    waiters: deque[asyncio.Future[Connection | None]] = field(default_factory=deque)

    def forget_idle(self, connection: Connection) -> None:
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

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
import ssl
from collections.abc import Mapping

from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, StatusCode

from services.chassis.serving import KEEP_ALIVE_SECONDS
from services.gateway.upstream.connections import Answer, Connection, Origin, Pool, Unreachable

tracer = trace.get_tracer(__name__)


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
        self._pools: dict[Origin, Pool] = {}
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
            pool = self._pools[origin] = Pool(origin, loop)
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

    async def _acquire(self, pool: Pool, deadline: float) -> Connection:
        idle = pool.idle
        now = pool.loop.time()
        while idle:
            connection = idle.pop()
            if connection.open and now - connection.idle_since < self.idle_seconds:
                return connection
            connection.close()
            pool.count -= 1
        if pool.count >= self.per_origin:
            waiter: asyncio.Future[Connection | None] = pool.loop.create_future()
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

    async def _connect(self, pool: Pool, deadline: float) -> Connection:
        origin = pool.origin
        limit = min(self.connect_timeout, deadline - pool.loop.time())
        try:
            async with asyncio.timeout(limit):
                _, connection = await pool.loop.create_connection(
                    lambda: Connection(pool),
                    origin.host,
                    origin.port,
                    ssl=self._tls_context() if origin.tls else None,
                )
        except TimeoutError as exc:
            raise Unreachable(f"no connection to {origin.authority} within {limit:.1f} s") from exc
        except OSError as exc:
            raise Unreachable(f"cannot connect to {origin.authority}: {exc}") from exc
        return connection

    def _release(self, pool: Pool, connection: Connection) -> None:
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

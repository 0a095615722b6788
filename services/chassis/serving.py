"""How every Convene app is served: uvicorn, with each response's head and body in one send.

uvicorn writes a response's status line and headers the moment the app starts the response,
and the body as a second write: two sends, two packets, and two wake-ups for whoever reads
them (the gateway reading a service, a browser reading the gateway); on a small answer that
is a large share of the CPU a request costs (docs/performance.md). `OneSendProtocol` holds a
response's first write (its head) until the body's first chunk and sends both together; a head
whose body comes later (or never: HEAD, 204, 100 Continue) goes out when the event loop next
turns, so nothing waits longer than the step that is already running.

It leans on two uvicorn internals: `on_headers_complete` makes `self.cycle`, and the cycle
writes through `cycle.transport`. tests/chassis/unit/test_serving.py fails if either changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

#: A body chunk this large is sent after the head rather than copied onto it.
JOIN_LIMIT = 64 * 1024
#: How long a server keeps an idle connection open (uvicorn's default); the gateway stops
#: reusing its connections to the services sooner, so it never sends on one being closed.
KEEP_ALIVE_SECONDS = 5


class HeadHeldForBody:
    """One response's view of the connection's transport: its first write waits for its second.

    Only `write` and `close` differ; everything else is the transport's own.
    """

    __slots__ = ("_held", "_loop", "_transport", "_writes")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: bytes | None = None
        self._writes = 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self._writes += 1
        if self._writes == 1:
            self._held = bytes(data)
            self._loop.call_soon(self.flush)
            return
        held, self._held = self._held, None
        if held is None:
            self._transport.write(data)
        elif len(data) <= JOIN_LIMIT:
            self._transport.write(held + data)
        else:
            self._transport.write(held)
            self._transport.write(data)

    def flush(self) -> None:
        held, self._held = self._held, None
        if held is not None and not self._transport.is_closing():
            self._transport.write(held)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class OneSendProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, each request's response written through `HeadHeldForBody`."""

    def on_headers_complete(self) -> None:
        before = self.cycle
        super().on_headers_complete()
        # An upgrade (WebSocket) hands the connection over without a new cycle.
        if self.cycle is not None and self.cycle is not before:
            self.cycle.transport = HeadHeldForBody(self.transport, self.loop)  # type: ignore[assignment]


def server_config(
    app: Any, *, host: str, port: int, log_level: str = "info", **overrides: Any
) -> uvicorn.Config:
    """How every app is served, in production and in tests (which may override a setting)."""
    settings: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": log_level,
        "access_log": False,
        "http": OneSendProtocol,
        # The caller's address is the gateway's to decide (edge.py, GATEWAY_TRUSTED_PROXY_HOPS);
        # uvicorn's own rewriting would trust any X-Forwarded-For sent from loopback.
        "proxy_headers": False,
        "timeout_keep_alive": KEEP_ALIVE_SECONDS,
    }
    return uvicorn.Config(app, **(settings | overrides))


def serve(app: Any, *, host: str, port: int, log_level: str = "info") -> None:
    """Serve `app` until SIGINT or SIGTERM (uvicorn's graceful shutdown)."""
    server = uvicorn.Server(server_config(app, host=host, port=port, log_level=log_level))
    # As `uvicorn.run` does: a second Ctrl-C while shutting down ends without a traceback.
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    if not server.started:
        sys.exit(3)  # as `uvicorn.run` does: the app or the socket failed at start-up

"""One pooled connection kept out for a hot read, spoken to through its driver (asyncpg).

Per statement, SQLAlchemy's async layer (a pool checkout and return, a `Connection`, a greenlet
switch each way, the result's adaptation) costs more CPU than sending the same statement with
asyncpg itself, round trip included (docs/performance.md). For a statement search sends on
nearly every request, and one at a time (a `Coalescer`'s fetch), that is the larger part of
its cost. `HeldConnection` borrows one connection from the engine's pool, so the pool's size,
settings and health checks still cover it, and keeps it until it fails or the service stops;
each statement runs on its own (autocommit). The directory opens one per app and gives it back
when the app stops (`bootstrap._extend_app`).

A lost connection is discarded and the statement sent once more on a fresh one; if that fails
too, `DatabaseUnavailable` is raised, which the problem handlers answer as the same 503 as any
other lost database.
"""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
from opentelemetry import trace
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.chassis.database import DatabaseUnavailable

#: What asyncpg raises when the server or the connection is gone (not a bad statement, and
#: not a statement cancelled by its timeout).
CONNECTION_LOST = (
    OSError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.CannotConnectNowError,
)

_tracer = trace.get_tracer(__name__)


class HeldConnection:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None
        self._driver: Any = None
        # asyncpg runs one statement at a time per connection: callers queue here.
        self._lock = asyncio.Lock()

    async def fetch(self, statement: str, *args: Any) -> list[asyncpg.Record]:
        """The rows of a read-only `statement` (asyncpg's `$1` placeholders) with `args`."""
        async with self._lock:
            with _tracer.start_as_current_span(
                _span_name(statement),
                kind=trace.SpanKind.CLIENT,
                attributes={"db.system": "postgresql", "db.statement": statement},
            ):
                # A held connection can die while idle (a database restart): a read is safe to
                # send again, once, on a fresh one.
                for attempt in (1, 2):
                    driver = await self._borrowed()
                    try:
                        rows: list[asyncpg.Record] = await driver.fetch(statement, *args)
                        return rows
                    except CONNECTION_LOST as exc:
                        await self._discard()
                        if attempt == 2:
                            raise DatabaseUnavailable(str(exc) or type(exc).__name__) from exc
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    async def close(self) -> None:
        """Give the connection back to the pool (before the engine is disposed)."""
        async with self._lock:
            if self._connection is not None:
                await self._connection.close()
            self._connection = self._driver = None

    async def _borrowed(self) -> Any:
        if self._driver is None:
            try:
                connection = await self._engine.connect()
            except CONNECTION_LOST as exc:  # the database is not there at all
                raise DatabaseUnavailable(str(exc) or type(exc).__name__) from exc
            raw = await connection.get_raw_connection()
            self._connection, self._driver = connection, raw.driver_connection
        return self._driver

    async def _discard(self) -> None:
        connection, self._connection, self._driver = self._connection, None, None
        if connection is not None:
            # Invalidated, not returned: the pool must not hand a broken connection out again.
            await connection.invalidate()
            await connection.close()


def _span_name(statement: str) -> str:
    words = statement.split(None, 1)
    return words[0].upper() if words else "statement"

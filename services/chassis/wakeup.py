"""Waking a relay when a writer commits: PostgreSQL LISTEN/NOTIFY, with a timeout as the sweep."""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine


class CommitWakeup:
    """Listens on one NOTIFY channel (writers notify inside their transaction, so the signal
    arrives only when they commit). `wait()` returns at the first signal or after `timeout`."""

    def __init__(self, engine: AsyncEngine, channel: str) -> None:
        self.engine = engine
        self.channel = channel
        self._event = asyncio.Event()
        self._listener: asyncpg.Connection | None = None

    def set(self) -> None:
        """Wake the waiter now (e.g. in the same process, without a round trip)."""
        self._event.set()

    async def listen(self) -> None:
        """Make sure a listening connection is open (reconnects after a database outage)."""
        if self._listener is not None and not self._listener.is_closed():
            return
        url = self.engine.url.set(drivername="postgresql")
        self._listener = await asyncpg.connect(url.render_as_string(hide_password=False))
        await self._listener.add_listener(self.channel, lambda *_: self._event.set())

    async def wait(self, timeout: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), timeout=timeout)
        self._event.clear()

    async def close(self) -> None:
        if self._listener is not None:
            await self._listener.close()
            self._listener = None

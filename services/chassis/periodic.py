"""One background loop shape for every service's timed work (sweeps, clocks, schedulers)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class PeriodicWorker:
    """Awaits `tick()` every `interval_seconds` until cancelled: a `runtime.Worker`.

    A tick that raises is logged and the next one tries again, so a database outage or one bad
    row never stops the loop. The interval is counted from the end of a tick, so a slow tick
    never overlaps the next. Ticks must be safe in several replicas at once (claim work with
    `SKIP LOCKED` or a key), since every replica runs the same workers.
    """

    def __init__(
        self, name: str, tick: Callable[[], Awaitable[object]], interval_seconds: float
    ) -> None:
        self.name = name
        self.tick = tick
        self.interval_seconds = interval_seconds

    async def run(self) -> None:
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s failed; trying again in %.0f s", self.name, self.interval_seconds)
            await asyncio.sleep(self.interval_seconds)

    async def close(self) -> None:
        return None

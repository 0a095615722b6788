"""The directory's background job: flag stale profiles (nudging owners) and expire requests."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from services.chassis.runtime import ServiceRuntime
from services.directory import handlers
from services.directory.config import DirectorySettings
from services.directory.domain import commands

log = logging.getLogger(__name__)


class MaintenanceWorker:
    """Runs `run_once` every `maintenance_interval_seconds`; an outage is logged and retried."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        settings = runtime.settings
        assert isinstance(settings, DirectorySettings)
        self.runtime = runtime
        self.interval = settings.maintenance_interval_seconds

    async def run_once(self, now: datetime | None = None) -> tuple[int, int]:
        """(profiles newly flagged stale, requests expired). Safe to run at any time."""
        moment = now or datetime.now(UTC)
        async with self.runtime.unit_of_work() as uow:
            stale = await handlers.flag_stale_profiles(commands.FlagStaleProfiles(moment), uow)
            expired = await handlers.expire_contact_requests(
                commands.ExpireContactRequests(moment), uow
            )
            await uow.commit()
        return stale, expired

    async def run(self) -> None:
        while True:
            try:
                stale, expired = await self.run_once()
                if stale or expired:
                    log.info("flagged %d stale profiles, expired %d requests", stale, expired)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("directory maintenance failed; retrying next interval")
            await asyncio.sleep(self.interval)

    async def close(self) -> None:
        return None

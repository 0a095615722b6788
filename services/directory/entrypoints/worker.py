"""The directory's background job: flag stale profiles (nudging owners) and expire requests."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from services.chassis.periodic import PeriodicWorker
from services.chassis.runtime import ServiceRuntime, Worker
from services.directory.config import DirectorySettings
from services.directory.domain import commands
from services.directory.handlers import maintenance

log = logging.getLogger(__name__)


class Maintenance:
    """One round of upkeep, in one transaction; safe in several replicas and at any time."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime

    async def run_once(self, now: datetime | None = None) -> tuple[int, int]:
        """(profiles newly flagged stale, requests expired)."""
        moment = now or datetime.now(UTC)
        async with self.runtime.unit_of_work() as uow:
            stale = await maintenance.flag_stale_profiles(commands.FlagStaleProfiles(moment), uow)
            expired = await maintenance.expire_contact_requests(
                commands.ExpireContactRequests(moment), uow
            )
            await uow.commit()
        if stale or expired:
            log.info("flagged %d stale profiles, expired %d requests", stale, expired)
        return stale, expired


def maintenance_worker(runtime: ServiceRuntime) -> Worker:
    """`Maintenance.run_once` every `maintenance_interval_seconds` (a failed round is logged and
    tried again the next interval)."""
    settings = runtime.settings_as(DirectorySettings)
    return PeriodicWorker(
        "directory maintenance",
        Maintenance(runtime).run_once,
        settings.maintenance_interval_seconds,
    )

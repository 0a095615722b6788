"""Content's background loops: the publishing scheduler and the weekly digest builder.

Both are safe to run in every replica: the scheduler claims due items with SKIP LOCKED, and a
digest is claimed per member and week by its primary key. Each loop's `tick()` is what tests
call directly; `build_weekly_digests` is also what `POST /digests/runs` runs.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from services.chassis.periodic import PeriodicWorker
from services.chassis.runtime import ServiceRuntime
from services.content.adapters import link_keys
from services.content.config import ContentSettings
from services.content.domain import commands
from services.content.domain.digests import DigestRun, iso_week, send_time, week_start
from services.content.handlers import digests as digest_handlers
from services.content.handlers import items as item_handlers

log = logging.getLogger(__name__)


class PublishingScheduler:
    """Publishes scheduled items when their time comes (within `scheduler_interval_seconds`)."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        self.settings = runtime.settings_as(ContentSettings)

    async def tick(self) -> int:
        """Publish what is due now, in batches; returns how many items were published."""
        published = 0
        while True:
            async with self.runtime.unit_of_work() as uow:
                ids = await item_handlers.publish_due_items(
                    commands.PublishDueItems(now=datetime.now(UTC)), uow, settings=self.settings
                )
                await uow.commit()
            published += len(ids)
            if not ids:
                if published:
                    log.info("published %d scheduled item(s)", published)
                return published


async def build_weekly_digests(
    runtime: ServiceRuntime,
    week: str,
    *,
    now: datetime | None = None,
    batch: int = 100,
    concurrency: int = 4,
) -> DigestRun:
    """Build `week`'s digest for every member still due one: `concurrency` builders, each
    taking a batch of members per transaction until none is left."""
    settings = runtime.settings_as(ContentSettings)
    week_start(week)
    run = DigestRun(week)
    command = commands.BuildDigests(week=week, now=now or datetime.now(UTC), limit=batch)

    async def builder() -> None:
        while True:
            async with runtime.unit_of_work() as uow:
                key = await link_keys.signing_key(uow.session, settings)
                built = await digest_handlers.build_digests(
                    command, uow, settings=settings, signing_key=key
                )
                await uow.commit()
            # A member another builder finished meanwhile (None) is not counted twice.
            run.members += sum(outcome is not None for outcome in built)
            run.queued += sum(outcome is True for outcome in built)
            if len(built) < batch:
                return

    await asyncio.gather(*(builder() for _ in range(concurrency)))
    return run


class WeeklyDigests:
    """Once this week's send time has passed, builds the digests still due (then every
    `digest_interval_seconds`, for members who arrived since). With
    `weekly_digest_automatic` off it builds none: only `POST /digests/runs` does."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        self.settings = runtime.settings_as(ContentSettings)

    async def tick(self) -> DigestRun | None:
        if not self.settings.weekly_digest_automatic:
            return None
        now = datetime.now(UTC)
        week = iso_week(now)
        if now < send_time(week, self.settings):
            return None
        result = await build_weekly_digests(self.runtime, week, now=now)
        if result.queued:
            log.info("queued %d digest(s) for %s", result.queued, week)
        return result


def publishing_scheduler(runtime: ServiceRuntime) -> PeriodicWorker:
    scheduler = PublishingScheduler(runtime)
    return PeriodicWorker(
        "publishing scheduler", scheduler.tick, scheduler.settings.scheduler_interval_seconds
    )


def weekly_digests(runtime: ServiceRuntime) -> PeriodicWorker:
    digests = WeeklyDigests(runtime)
    return PeriodicWorker("weekly digests", digests.tick, digests.settings.digest_interval_seconds)

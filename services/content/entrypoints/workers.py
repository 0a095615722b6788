"""Content's background loops: the publishing scheduler and the weekly digest builder.

Both are safe to run in every replica: the scheduler claims due items with SKIP LOCKED, and a
digest is claimed per member and week by its primary key.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from services.chassis.runtime import ServiceRuntime
from services.content import digests, handlers, links
from services.content.config import ContentSettings
from services.content.domain import commands

log = logging.getLogger(__name__)


class PublishingScheduler:
    """Publishes scheduled items when their time comes (within `scheduler_interval_seconds`)."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        settings = runtime.settings
        assert isinstance(settings, ContentSettings)
        self.settings = settings
        self.interval = settings.scheduler_interval_seconds

    async def tick(self) -> int:
        """Publish what is due now, in batches; returns how many items were published."""
        published = 0
        while True:
            async with self.runtime.unit_of_work() as uow:
                ids = await handlers.publish_due_items(
                    commands.PublishDueItems(now=datetime.now(UTC)), uow, self.settings
                )
                await uow.commit()
            published += len(ids)
            if not ids:
                return published

    async def run(self) -> None:
        while True:
            try:
                count = await self.tick()
                if count:
                    log.info("published %d scheduled item(s)", count)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("scheduler tick failed; trying again")
            await asyncio.sleep(self.interval)

    async def close(self) -> None:
        return None


async def build_weekly_digests(
    runtime: ServiceRuntime,
    week: str,
    *,
    now: datetime | None = None,
    batch: int = 100,
    concurrency: int = 4,
) -> digests.DigestRun:
    """Build `week`'s digest for every member still due one: `concurrency` builders, each
    taking a batch of members per transaction until none is left."""
    settings = runtime.settings
    assert isinstance(settings, ContentSettings)
    digests.week_start(week)
    run = digests.DigestRun(week)
    moment = now or datetime.now(UTC)

    async def builder() -> None:
        while True:
            async with runtime.unit_of_work() as uow:
                due = await digests.members_due(uow, week, limit=batch)
                key = await links.signing_key(uow.session, settings)
                built = [
                    await digests.build_digest(
                        uow, member_id, week, moment, settings, signing_key=key
                    )
                    for member_id in due
                ]
                await uow.commit()
            # A member another builder finished meanwhile (None) is not counted twice.
            run.members += sum(outcome is not None for outcome in built)
            run.queued += sum(outcome is True for outcome in built)
            if len(due) < batch:
                return

    await asyncio.gather(*(builder() for _ in range(concurrency)))
    return run


class WeeklyDigests:
    """Once this week's send time has passed, builds the digests still due (then every
    `digest_interval_seconds`, for members who arrived since)."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        settings = runtime.settings
        assert isinstance(settings, ContentSettings)
        self.settings = settings

    async def run(self) -> None:
        if not self.settings.weekly_digest_automatic:
            return
        while True:
            try:
                now = datetime.now(UTC)
                week = digests.iso_week(now)
                if now >= digests.send_time(week, self.settings):
                    result = await build_weekly_digests(self.runtime, week, now=now)
                    if result.queued:
                        log.info("queued %d digest(s) for %s", result.queued, week)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("digest run failed; trying again")
            await asyncio.sleep(self.settings.digest_interval_seconds)

    async def close(self) -> None:
        return None

"""The campaign clock: opens campaigns at their opening time and closes them at their closing
time (publishing the final report), exactly once even with several replicas running."""

from __future__ import annotations

import asyncio
import logging

from services.chassis.runtime import ServiceRuntime
from services.feedback import handlers
from services.feedback.config import FeedbackSettings

log = logging.getLogger(__name__)


class CampaignClock:
    def __init__(self, runtime: ServiceRuntime, settings: FeedbackSettings) -> None:
        self.runtime = runtime
        self.interval = settings.campaign_clock_seconds
        self.pseudonyms = handlers.Pseudonyms(settings.pseudonym_key.get_secret_value().encode())

    async def tick(self) -> int:
        """Open and close what is due; returns how many campaigns changed."""
        changed = 0
        async with self.runtime.unit_of_work() as uow:
            changed += await handlers.open_due_campaigns(uow)
            await uow.commit()
        while True:
            # One transaction per batch of closings: each one's report is committed with it.
            async with self.runtime.unit_of_work() as uow:
                closed = await handlers.close_due_campaigns(uow, self.pseudonyms, limit=1)
                await uow.commit()
            changed += closed
            if not closed:
                return changed

    async def run(self) -> None:
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                # An outage or a bad campaign must not stop the clock; the next tick retries.
                log.exception("campaign clock tick failed")
            await asyncio.sleep(self.interval)

    async def close(self) -> None:
        return None


def campaign_clock(runtime: ServiceRuntime) -> CampaignClock:
    settings = runtime.settings
    assert isinstance(settings, FeedbackSettings)
    return CampaignClock(runtime, settings)

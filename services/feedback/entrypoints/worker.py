"""The campaign clock: opens campaigns at their opening time and closes them at their closing
time (publishing the final report), exactly once even with several replicas running."""

from __future__ import annotations

from datetime import UTC, datetime

from services.chassis.periodic import PeriodicWorker
from services.chassis.runtime import ServiceRuntime
from services.feedback.adapters.pseudonyms import Pseudonyms
from services.feedback.config import FeedbackSettings
from services.feedback.domain import commands
from services.feedback.handlers import campaigns


class CampaignClock:
    def __init__(self, runtime: ServiceRuntime, pseudonyms: Pseudonyms) -> None:
        self.runtime = runtime
        self.pseudonyms = pseudonyms

    async def tick(self) -> int:
        """Open and close what is due; returns how many campaigns changed."""
        changed = 0
        async with self.runtime.unit_of_work() as uow:
            changed += await campaigns.open_due_campaigns(
                commands.OpenDueCampaigns(now=datetime.now(UTC)), uow
            )
            await uow.commit()
        while True:
            # One transaction per batch of closings: each one's report is committed with it.
            async with self.runtime.unit_of_work() as uow:
                closed = await campaigns.close_due_campaigns(
                    commands.CloseDueCampaigns(now=datetime.now(UTC), limit=1),
                    uow,
                    pseudonyms=self.pseudonyms,
                )
                await uow.commit()
            changed += closed
            if not closed:
                return changed


def campaign_clock(runtime: ServiceRuntime) -> PeriodicWorker:
    settings = runtime.settings_as(FeedbackSettings)
    clock = CampaignClock(runtime, Pseudonyms(settings.pseudonym_key.get_secret_value().encode()))
    return PeriodicWorker("campaign clock", clock.tick, settings.campaign_clock_seconds)

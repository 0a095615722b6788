"""Follow-ups: "you said, we did", posted once a campaign has a report."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from services.chassis.database import UnitOfWork
from services.feedback import events, views
from services.feedback.adapters.orm import Campaign, FollowUp
from services.feedback.domain import commands
from services.feedback.domain.errors import CampaignNotFound


async def post_follow_up(command: commands.PostFollowUp, uow: UnitOfWork) -> FollowUp:
    """'You said, we did' on a campaign with a published report; announced by event."""
    campaign = await uow.session.get(Campaign, command.campaign_id)
    if campaign is None:
        raise CampaignNotFound()
    await views.latest_report(uow.session, campaign.id)
    follow_up = FollowUp(
        id=uuid.uuid4(),
        campaign_id=campaign.id,
        you_said=command.you_said,
        we_did=command.we_did,
        posted_by=command.actor,
        posted_at=datetime.now(UTC),
    )
    uow.session.add(follow_up)
    await uow.publish(events.follow_up_posted(campaign, follow_up))
    return follow_up

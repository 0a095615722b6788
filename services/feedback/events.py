"""The integration events feedback publishes, built from its rows; public twins included.

Each campaign event has a public twin on the public topic that departments may read; the twin
is built from the internal event (`twin_of`), so it can carry nothing its own type does not
declare. The report event is the report document itself (`domain.report.compose_report`).
"""

from __future__ import annotations

from datetime import datetime

from contracts.events.feedback import (
    CampaignClosedV1,
    CampaignFollowUpPostedV1,
    CampaignOpenedV1,
    PublicCampaignClosedV1,
    PublicCampaignOpenedV1,
)
from services.feedback.adapters.orm import Campaign, FollowUp


def campaign_opened(campaign: Campaign) -> tuple[CampaignOpenedV1, PublicCampaignOpenedV1]:
    """The campaign has opened: the internal event and its public twin."""
    opened = CampaignOpenedV1(
        campaign_id=campaign.id,
        title=campaign.title,
        question=campaign.question,
        audience=campaign.audience_kind,
        audience_cohort_id=campaign.audience_cohort_id,
        audience_sectors=list(campaign.audience_sectors or ()),
        anonymity=campaign.anonymity,
        opens_at=campaign.opens_at,
        closes_at=campaign.closes_at,
    )
    return opened, PublicCampaignOpenedV1.twin_of(opened)


def campaign_closed(
    campaign: Campaign, *, closed_at: datetime, respondents: int
) -> tuple[CampaignClosedV1, PublicCampaignClosedV1]:
    """The campaign has closed: the internal event and its public twin."""
    closed = CampaignClosedV1(campaign_id=campaign.id, closed_at=closed_at, respondents=respondents)
    return closed, PublicCampaignClosedV1.twin_of(closed)


def follow_up_posted(campaign: Campaign, follow_up: FollowUp) -> CampaignFollowUpPostedV1:
    """'You said, we did' was posted (a public event: content tells the audience)."""
    return CampaignFollowUpPostedV1(
        campaign_id=campaign.id,
        follow_up_id=follow_up.id,
        title=campaign.title,
        you_said=follow_up.you_said,
        we_did=follow_up.we_did,
        posted_at=follow_up.posted_at,
    )

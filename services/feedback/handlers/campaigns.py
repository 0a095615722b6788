"""Campaigns: creating one, opening and closing on the clock, and closing early."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, union

from services.chassis.database import UnitOfWork
from services.feedback import events
from services.feedback.adapters.orm import Campaign, Response, StatementVote
from services.feedback.adapters.pseudonyms import Pseudonyms, create_missing_salts
from services.feedback.adapters.row_order import rewrite_in_content_order
from services.feedback.domain import commands
from services.feedback.domain.errors import CampaignClosed, CampaignNotFound, InvalidCampaign
from services.feedback.domain.model import CampaignStatus
from services.feedback.handlers.reports import publish_campaign_report
from services.feedback.handlers.statements import new_statement


async def create_campaign(command: commands.CreateCampaign, uow: UnitOfWork) -> Campaign:
    """A campaign, opened at once (and announced) if its opening time has passed."""
    moment = datetime.now(UTC)
    if command.closes_at <= moment:
        raise InvalidCampaign("The closing time must be in the future.")
    if command.closes_at <= command.opens_at:
        raise InvalidCampaign("The closing time must be after the opening time.")
    campaign = Campaign(
        id=uuid.uuid4(),
        title=command.title,
        question=command.question,
        context=command.context,
        audience_kind=command.audience.kind.value,
        audience_cohort_id=command.audience.cohort_id,
        audience_sectors=list(command.audience.sectors),
        anonymity=command.anonymity.value,
        questions=[q.as_json() for q in command.questions],
        opens_at=command.opens_at,
        closes_at=command.closes_at,
        status=CampaignStatus.SCHEDULED.value,
        created_by=command.created_by,
        created_at=moment,
    )
    uow.session.add(campaign)
    await uow.session.flush()
    for text in dict.fromkeys(t.strip() for t in command.seed_statements):
        uow.session.add(
            new_statement(campaign.id, text, author=None, approved_by=command.created_by)
        )
    if command.opens_at <= moment:
        await _open(uow, campaign, moment)
    return campaign


async def _open(uow: UnitOfWork, campaign: Campaign, moment: datetime) -> None:
    campaign.status, campaign.opened_at = CampaignStatus.OPEN.value, moment
    for event in events.campaign_opened(campaign):
        await uow.publish(event)


async def open_due_campaigns(command: commands.OpenDueCampaigns, uow: UnitOfWork) -> int:
    """Open scheduled campaigns whose time has come; safe with several replicas (SKIP LOCKED)."""
    due = (
        await uow.session.scalars(
            select(Campaign)
            .where(Campaign.status == CampaignStatus.SCHEDULED, Campaign.opens_at <= command.now)
            .order_by(Campaign.opens_at)
            .limit(command.limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    for campaign in due:
        await _open(uow, campaign, command.now)
    if due:
        # The audience's salts, in the clock's transaction, which writes nothing a participant
        # wrote (not in a creating request's: its seed statements would share the xmin).
        await create_missing_salts(uow.session)
    return len(due)


async def close_due_campaigns(
    command: commands.CloseDueCampaigns, uow: UnitOfWork, *, pseudonyms: Pseudonyms
) -> int:
    """Close campaigns past their closing time, each exactly once, and publish their reports."""
    due = (
        await uow.session.scalars(
            select(Campaign)
            .where(Campaign.status != CampaignStatus.CLOSED, Campaign.closes_at <= command.now)
            .order_by(Campaign.closes_at)
            .limit(command.limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    for campaign in due:
        await _close(uow, campaign, pseudonyms, command.now)
    return len(due)


async def close_campaign(command: commands.CloseCampaign, uow: UnitOfWork) -> Campaign:
    """Close early (an admin's decision): the closing time becomes now, so answers and votes
    stop at once, and the campaign clock closes it within seconds and publishes the final
    report, on the same single path as a campaign reaching its closing time."""
    campaign = await uow.session.get(Campaign, command.campaign_id, with_for_update=True)
    if campaign is None:
        raise CampaignNotFound()
    moment = datetime.now(UTC)
    if campaign.status == CampaignStatus.CLOSED or campaign.closes_at <= moment:
        raise CampaignClosed()
    campaign.closes_at = moment
    if campaign.opens_at >= moment:
        campaign.opens_at = moment - timedelta(microseconds=1)
    return campaign


async def _close(
    uow: UnitOfWork, campaign: Campaign, pseudonyms: Pseudonyms, moment: datetime
) -> None:
    if campaign.status == CampaignStatus.SCHEDULED:
        await _open(uow, campaign, moment)
    campaign.status, campaign.closed_at = CampaignStatus.CLOSED.value, moment
    participants = union(
        select(Response.pseudonym).where(Response.campaign_id == campaign.id),
        select(StatementVote.pseudonym).where(StatementVote.campaign_id == campaign.id),
    ).subquery()
    respondents = await uow.session.scalar(select(func.count()).select_from(participants))
    for event in events.campaign_closed(campaign, closed_at=moment, respondents=respondents or 0):
        await uow.publish(event)
    await publish_campaign_report(campaign, uow, pseudonyms=pseudonyms, final=True)
    # Closed, nothing more arrives: from now on no row's xmin or place on disk follows arrival.
    await rewrite_in_content_order(uow.session, campaign.id)

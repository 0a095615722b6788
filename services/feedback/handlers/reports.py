"""Reports: aggregates of a campaign's answers and votes, composed, rendered and published."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert

from contracts.events.feedback import CampaignReportPublishedV1
from services.chassis.database import UnitOfWork
from services.feedback.adapters import report_files
from services.feedback.adapters.orm import (
    Campaign,
    GroupPlacement,
    Member,
    MemberCohort,
    MemberSalt,
    Report,
    Response,
    Statement,
    StatementVote,
)
from services.feedback.adapters.pseudonyms import Pseudonyms
from services.feedback.domain import commands
from services.feedback.domain.breakdowns import Respondent
from services.feedback.domain.errors import CampaignNotFound, CampaignNotOpen
from services.feedback.domain.model import CampaignStatus, Question, StatementStatus, pseudonym
from services.feedback.domain.report import ReportInput, compose_report


async def publish_report(
    command: commands.PublishReport, uow: UnitOfWork, *, pseudonyms: Pseudonyms
) -> CampaignReportPublishedV1:
    """Publish a report now: interim while the campaign is open, final once it has closed."""
    campaign = await uow.session.get(Campaign, command.campaign_id, with_for_update=True)
    if campaign is None:
        raise CampaignNotFound()
    if campaign.status == CampaignStatus.SCHEDULED:
        raise CampaignNotOpen(campaign.status)
    return await publish_campaign_report(
        campaign, uow, pseudonyms=pseudonyms, final=campaign.status == CampaignStatus.CLOSED
    )


async def publish_campaign_report(
    campaign: Campaign, uow: UnitOfWork, *, pseudonyms: Pseudonyms, final: bool
) -> CampaignReportPublishedV1:
    """The next version of the campaign's report: stored with its files, the members' group
    placements replaced, and the document published. Shared by `publish_report` and closing."""
    data = await _report_input(uow, campaign, pseudonyms)
    version = 1 + (
        await uow.session.scalar(
            select(func.coalesce(func.max(Report.version), 0)).where(
                Report.campaign_id == campaign.id
            )
        )
        or 0
    )
    moment = datetime.now(UTC)

    def compose_and_render() -> tuple[CampaignReportPublishedV1, dict[str, str], str, str, bytes]:
        # CPU-bound (PCA, k-means, PDF): run off the event loop.
        composed = compose_report(data, version=version, final=final, published_at=moment)
        doc = composed.document
        return (
            doc,
            composed.placements,
            report_files.render_html(doc),
            report_files.render_csv(doc),
            report_files.render_pdf(doc),
        )

    document, placements, html, csv_text, pdf = await asyncio.to_thread(compose_and_render)
    uow.session.add(
        Report(
            campaign_id=campaign.id,
            version=version,
            final=final,
            published_at=moment,
            document=document.model_dump(mode="json"),
            html=html,
            csv=csv_text,
            pdf=pdf,
        )
    )
    await uow.session.execute(
        delete(GroupPlacement).where(GroupPlacement.campaign_id == campaign.id)
    )
    if placements:
        await uow.session.execute(
            insert(GroupPlacement),
            [
                {"campaign_id": campaign.id, "pseudonym": p, "group_label": label}
                for p, label in placements.items()
            ],
        )
    await uow.publish(document)
    return document


async def _report_input(uow: UnitOfWork, campaign: Campaign, pseudonyms: Pseudonyms) -> ReportInput:
    session = uow.session
    statements = {
        str(sid): text
        for sid, text in (
            await session.execute(
                select(Statement.id, Statement.text)
                .where(
                    Statement.campaign_id == campaign.id,
                    Statement.status == StatementStatus.APPROVED,
                )
                .order_by(Statement.seq)
            )
        ).all()
    }
    votes = [
        (p, str(s), v)
        for p, s, v in (
            await session.execute(
                select(
                    StatementVote.pseudonym, StatementVote.statement_id, StatementVote.value
                ).where(StatementVote.campaign_id == campaign.id)
            )
        ).all()
        if str(s) in statements
    ]
    answer_rows = await session.execute(
        select(Response.pseudonym, Response.answers).where(Response.campaign_id == campaign.id)
    )
    answers: dict[str, dict[str, Any]] = {p: a for p, a in answer_rows.all()}
    participants = set(answers) | {p for p, _, _ in votes}
    attributes = await _attributes_by_pseudonym(uow, campaign.id, pseudonyms, participants)
    respondents = [
        Respondent(p, attributes.get(p, {}), answers.get(p, {})) for p in sorted(participants)
    ]
    return ReportInput(
        campaign_id=campaign.id,
        title=campaign.title,
        question=campaign.question,
        questions=[Question.from_json(q) for q in campaign.questions],
        statements=statements,
        votes=votes,
        respondents=respondents,
        responses=len(answers),
    )


async def _attributes_by_pseudonym(
    uow: UnitOfWork, campaign_id: UUID, pseudonyms: Pseudonyms, participants: set[str]
) -> dict[str, dict[str, str]]:
    """Sector, region and latest cohort of each participant, matched in memory with the key.

    Nothing stored joins a pseudonym to a member; the match exists only here, for aggregation.
    Erased members (salt deleted) stay in the totals with no attributes.
    """
    latest_cohort = (
        select(MemberCohort.cohort_name)
        .where(MemberCohort.member_id == Member.member_id)
        .order_by(MemberCohort.joined_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    rows = (
        await uow.session.execute(
            select(MemberSalt.salt, Member.sector, Member.region, latest_cohort).join(
                Member, Member.member_id == MemberSalt.member_id
            )
        )
    ).all()
    found: dict[str, dict[str, str]] = {}
    for salt, sector, region, cohort in rows:
        name = pseudonym(pseudonyms.key, salt, campaign_id)
        if name in participants:
            found[name] = {
                k: v for k, v in (("sector", sector), ("region", region), ("cohort", cohort)) if v
            }
    return found

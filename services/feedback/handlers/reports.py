"""Reports: aggregates of a campaign's answers and votes, composed, rendered and published."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from functools import partial
from typing import Any
from uuid import UUID

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert

from contracts.events.feedback import CampaignReportPublishedV1
from services.chassis.database import UnitOfWork
from services.feedback import views
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
from services.feedback.domain.errors import (
    CampaignNotFound,
    CampaignNotOpen,
    CorrectionBeforeClose,
    ReportIsFinal,
)
from services.feedback.domain.model import CampaignStatus, Question, StatementStatus, pseudonym
from services.feedback.domain.report import ReportInput
from services.feedback.domain.report_versions import (
    MINIMUM_AUDIENCE,
    MINIMUM_COHORT,
    NextVersion,
    PublishedVersion,
    correction,
    next_version,
)


async def publish_report(
    command: commands.PublishReport, uow: UnitOfWork, *, pseudonyms: Pseudonyms
) -> CampaignReportPublishedV1:
    """Publish an interim report of an open campaign, once at least k new people have taken
    part since the last version. A closed campaign has its one final report (ReportIsFinal)."""
    campaign = await uow.session.get(Campaign, command.campaign_id, with_for_update=True)
    if campaign is None:
        raise CampaignNotFound()
    if campaign.status == CampaignStatus.SCHEDULED:
        raise CampaignNotOpen(campaign.status)
    if campaign.status == CampaignStatus.CLOSED:
        raise ReportIsFinal()
    return await publish_campaign_report(campaign, uow, pseudonyms=pseudonyms, final=False)


async def correct_report(
    command: commands.CorrectReport, uow: UnitOfWork
) -> CampaignReportPublishedV1:
    """A correction of the final report: wording only (`report_versions.correction`).
    Profiles and cohorts are not read; group placements stay."""
    campaign = await uow.session.get(Campaign, command.campaign_id, with_for_update=True)
    if campaign is None:
        raise CampaignNotFound()
    if campaign.status != CampaignStatus.CLOSED:
        raise CorrectionBeforeClose()
    earlier = await _published_versions(uow, campaign.id)
    data = await _report_input(uow, campaign, None)
    made = await asyncio.to_thread(
        partial(
            correction,
            data,
            earlier,
            reason=command.reason,
            withdrawn=command.withdraw_statements,
            published_at=datetime.now(UTC),
        )
    )
    await _store(uow, made)
    return made.document


async def publish_campaign_report(
    campaign: Campaign, uow: UnitOfWork, *, pseudonyms: Pseudonyms, final: bool
) -> CampaignReportPublishedV1:
    """The next version of the campaign's report (`report_versions.next_version`): stored with
    its files, the members' group placements replaced, and the document published. Shared by
    `publish_report` and closing; only the final one (at the close) reads attributes."""
    earlier = await _published_versions(uow, campaign.id)
    data = await _report_input(uow, campaign, pseudonyms if final else None)
    # CPU-bound (PCA, k-means): off the event loop.
    made = await asyncio.to_thread(
        partial(next_version, data, earlier, final=final, published_at=datetime.now(UTC))
    )
    await _store(uow, made)
    return made.document


async def _published_versions(uow: UnitOfWork, campaign_id: UUID) -> list[PublishedVersion]:
    rows = await uow.session.scalars(
        select(Report).where(Report.campaign_id == campaign_id).order_by(Report.version)
    )
    return [
        PublishedVersion(
            CampaignReportPublishedV1.model_validate(r.document), frozenset(r.hidden_cells or ())
        )
        for r in rows
    ]


async def _store(uow: UnitOfWork, made: NextVersion) -> None:
    """Render the files from the one document, store the version, replace the placements
    (unless None) and publish the event."""
    document = made.document

    def render() -> tuple[str, str, bytes]:
        # CPU-bound (PDF): off the event loop.
        return (
            report_files.render_html(document),
            report_files.render_csv(document),
            report_files.render_pdf(document),
        )

    html, csv_text, pdf = await asyncio.to_thread(render)
    uow.session.add(
        Report(
            campaign_id=document.campaign_id,
            version=document.version,
            final=document.final,
            published_at=document.published_at,
            document=document.model_dump(mode="json"),
            hidden_cells=sorted(made.hidden),
            html=html,
            csv=csv_text,
            pdf=pdf,
        )
    )
    if made.placements is not None:
        await uow.session.execute(
            delete(GroupPlacement).where(GroupPlacement.campaign_id == document.campaign_id)
        )
        if made.placements:
            await uow.session.execute(
                insert(GroupPlacement),
                [
                    {"campaign_id": document.campaign_id, "pseudonym": p, "group_label": label}
                    for p, label in made.placements.items()
                ],
            )
    await uow.publish(document)


async def _report_input(
    uow: UnitOfWork, campaign: Campaign, pseudonyms: Pseudonyms | None
) -> ReportInput:
    """What the report counts. Attributes (for breakdowns) only when `pseudonyms` is given:
    at the close, once."""
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
    attributes = (
        await _attributes_at_close(uow, campaign, pseudonyms, participants)
        if pseudonyms is not None
        else {}
    )
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


async def _attributes_at_close(
    uow: UnitOfWork, campaign: Campaign, pseudonyms: Pseudonyms, participants: set[str]
) -> dict[str, dict[str, str]]:
    """Sector, region and latest qualifying cohort of each participant, matched in memory with
    the key, as they stand now (the close). Nothing stored joins a pseudonym to a member or to
    these attributes; the match exists only here, for aggregation. Erased members (salt deleted)
    stay in the totals with no attributes.

    Audience minimums: an audience under MINIMUM_AUDIENCE gets no breakdowns at all, and only
    cohorts with at least MINIMUM_COHORT active members are breakdown values (a cohort stuffed
    around one person with a few accounts an admin controls is never shown).
    """
    if await views.audience_size(uow.session, campaign) < MINIMUM_AUDIENCE:
        return {}
    qualifying = (
        select(MemberCohort.cohort_id)
        .join(Member, Member.member_id == MemberCohort.member_id)
        .where(Member.active)
        .group_by(MemberCohort.cohort_id)
        .having(func.count() >= MINIMUM_COHORT)
    )
    latest_cohort = (
        select(MemberCohort.cohort_name)
        .where(MemberCohort.member_id == Member.member_id, MemberCohort.cohort_id.in_(qualifying))
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
        name = pseudonym(pseudonyms.key, salt, campaign.id)
        if name in participants:
            found[name] = {
                k: v for k, v in (("sector", sector), ("region", region), ("cohort", cohort)) if v
            }
    return found

"""Feedback's command handlers. They change state and publish events; the caller commits."""

from __future__ import annotations

import asyncio
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import delete, func, select, union, update
from sqlalchemy.dialects.postgresql import insert

from contracts.events.feedback import (
    CampaignClosedV1,
    CampaignFollowUpPostedV1,
    CampaignOpenedV1,
    CampaignReportPublishedV1,
    PublicCampaignClosedV1,
    PublicCampaignOpenedV1,
)
from services.chassis.database import UnitOfWork
from services.feedback import report_files
from services.feedback.adapters.orm import (
    Campaign,
    FollowUp,
    GroupPlacement,
    Member,
    MemberCohort,
    MemberSalt,
    Report,
    Response,
    Statement,
    StatementVote,
)
from services.feedback.domain import commands
from services.feedback.domain.analysis import Respondent
from services.feedback.domain.errors import (
    AlreadyVoted,
    CampaignClosed,
    CampaignNotFound,
    CampaignNotOpen,
    DuplicateStatement,
    InvalidCampaign,
    NoReport,
    StatementNotApproved,
    StatementNotFound,
    TooManyStatements,
)
from services.feedback.domain.model import (
    Anonymity,
    Audience,
    AudienceKind,
    CampaignStatus,
    MemberFacts,
    Question,
    StatementStatus,
    check_answers,
    in_audience,
    pseudonym,
)
from services.feedback.domain.report import ReportInput, compose_report


def now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Pseudonyms:
    """Derives participants' per-campaign pseudonyms with the service key (never stored)."""

    key: bytes

    async def of(self, uow: UnitOfWork, member_id: UUID, campaign_id: UUID) -> str:
        """The member's pseudonym in this campaign, creating their random salt on first use."""
        await uow.session.execute(
            insert(MemberSalt)
            .values(member_id=member_id, salt=secrets.token_bytes(32))
            .on_conflict_do_nothing(index_elements=[MemberSalt.member_id])
        )
        salt = await uow.session.scalar(
            select(MemberSalt.salt).where(MemberSalt.member_id == member_id)
        )
        assert salt is not None
        return pseudonym(self.key, salt, campaign_id)


# -- the member projection (identity and directory events) ------------------------------------


async def _ensure_member(uow: UnitOfWork, member_id: UUID, *, active: bool | None) -> None:
    statement = insert(Member).values(member_id=member_id, active=bool(active))
    if active is None:
        statement = statement.on_conflict_do_nothing(index_elements=[Member.member_id])
    else:
        statement = statement.on_conflict_do_update(
            index_elements=[Member.member_id], set_={"active": active}
        )
    await uow.session.execute(statement)


async def record_member_active(command: commands.RecordMemberActive, uow: UnitOfWork) -> None:
    """Activation makes a member eligible; deactivation ends it. Idempotent."""
    await _ensure_member(uow, command.member_id, active=command.active)


async def record_cohort_joined(command: commands.RecordCohortJoined, uow: UnitOfWork) -> None:
    await _ensure_member(uow, command.member_id, active=None)
    await uow.session.execute(
        insert(MemberCohort)
        .values(
            member_id=command.member_id,
            cohort_id=command.cohort_id,
            cohort_name=command.cohort_name,
            cohort_year=command.cohort_year,
            joined_at=command.joined_at,
        )
        .on_conflict_do_update(
            index_elements=[MemberCohort.member_id, MemberCohort.cohort_id],
            set_={"cohort_name": command.cohort_name, "cohort_year": command.cohort_year},
        )
    )


async def record_cohort_left(command: commands.RecordCohortLeft, uow: UnitOfWork) -> None:
    await uow.session.execute(
        delete(MemberCohort).where(
            MemberCohort.member_id == command.member_id,
            MemberCohort.cohort_id == command.cohort_id,
        )
    )


async def record_member_profile(command: commands.RecordMemberProfile, uow: UnitOfWork) -> None:
    """Sector and region, as the directory publishes them; the one place they are set."""
    await _ensure_member(uow, command.member_id, active=None)
    await uow.session.execute(
        update(Member)
        .where(Member.member_id == command.member_id)
        .values(sector=command.sector, region=command.region)
    )


async def erase_member(command: commands.EraseMember, uow: UnitOfWork) -> None:
    """Remove the member's attributed answers and everything that links them to a pseudonym.

    Attributed campaigns: the response (the one row naming them) goes, and with it, found
    through that row, their votes and group placement. Then the member's salt goes
    (crypto-shredding): anonymous answers stay in the aggregates, but nobody, not even with the
    service key, can ever again find which were theirs. Needs no key; idempotent.
    """
    member_id = command.member_id
    named = (
        await uow.session.execute(
            select(Response.campaign_id, Response.pseudonym).where(Response.member_id == member_id)
        )
    ).all()
    for campaign_id, name in named:
        await uow.session.execute(
            delete(StatementVote).where(
                StatementVote.campaign_id == campaign_id, StatementVote.pseudonym == name
            )
        )
        await uow.session.execute(
            delete(GroupPlacement).where(
                GroupPlacement.campaign_id == campaign_id, GroupPlacement.pseudonym == name
            )
        )
        await uow.session.execute(
            update(Statement)
            .where(Statement.campaign_id == campaign_id, Statement.author_pseudonym == name)
            .values(author_pseudonym=None)
        )
    await uow.session.execute(delete(Response).where(Response.member_id == member_id))
    await uow.session.execute(delete(MemberSalt).where(MemberSalt.member_id == member_id))
    await uow.session.execute(delete(Member).where(Member.member_id == member_id))


async def member_facts(uow: UnitOfWork, member_id: UUID) -> MemberFacts | None:
    member = await uow.session.get(Member, member_id)
    if member is None:
        return None
    cohorts = await uow.session.scalars(
        select(MemberCohort.cohort_id).where(MemberCohort.member_id == member_id)
    )
    return MemberFacts(active=member.active, cohort_ids=frozenset(cohorts), sector=member.sector)


def audience_of(campaign: Campaign) -> Audience:
    return Audience(
        kind=AudienceKind(campaign.audience_kind),
        cohort_id=campaign.audience_cohort_id,
        sectors=tuple(campaign.audience_sectors or ()),
    )


# -- campaigns --------------------------------------------------------------------------------


async def create_campaign(command: commands.CreateCampaign, uow: UnitOfWork) -> Campaign:
    """A campaign, opened at once (and announced) if its opening time has passed."""
    moment = now()
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
        uow.session.add(_statement(campaign.id, text, author=None, approved_by=command.created_by))
    if command.opens_at <= moment:
        await _open(uow, campaign, moment)
    return campaign


async def _open(uow: UnitOfWork, campaign: Campaign, moment: datetime) -> None:
    campaign.status, campaign.opened_at = CampaignStatus.OPEN.value, moment
    await uow.publish(
        CampaignOpenedV1(
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
    )
    await uow.publish(
        PublicCampaignOpenedV1(
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
    )


async def open_due_campaigns(uow: UnitOfWork, *, limit: int = 20) -> int:
    """Open scheduled campaigns whose time has come; safe with several replicas (SKIP LOCKED)."""
    moment = now()
    due = (
        await uow.session.scalars(
            select(Campaign)
            .where(Campaign.status == CampaignStatus.SCHEDULED, Campaign.opens_at <= moment)
            .order_by(Campaign.opens_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    for campaign in due:
        await _open(uow, campaign, moment)
    return len(due)


async def close_due_campaigns(uow: UnitOfWork, ids: Pseudonyms, *, limit: int = 5) -> int:
    """Close campaigns past their closing time, each exactly once, and publish their reports."""
    moment = now()
    due = (
        await uow.session.scalars(
            select(Campaign)
            .where(Campaign.status != CampaignStatus.CLOSED, Campaign.closes_at <= moment)
            .order_by(Campaign.closes_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    for campaign in due:
        await _close(uow, campaign, ids, moment)
    return len(due)


async def close_campaign(command: commands.CloseCampaign, uow: UnitOfWork) -> Campaign:
    """Close early (an admin's decision): the closing time becomes now, so answers and votes
    stop at once, and the campaign clock closes it within seconds and publishes the final
    report, on the same single path as a campaign reaching its closing time."""
    campaign = await uow.session.get(Campaign, command.campaign_id, with_for_update=True)
    if campaign is None:
        raise CampaignNotFound()
    moment = now()
    if campaign.status == CampaignStatus.CLOSED or campaign.closes_at <= moment:
        raise CampaignClosed()
    campaign.closes_at = moment
    if campaign.opens_at >= moment:
        campaign.opens_at = moment - timedelta(microseconds=1)
    return campaign


async def _close(uow: UnitOfWork, campaign: Campaign, ids: Pseudonyms, moment: datetime) -> None:
    if campaign.status == CampaignStatus.SCHEDULED:
        await _open(uow, campaign, moment)
    campaign.status, campaign.closed_at = CampaignStatus.CLOSED.value, moment
    participants = union(
        select(Response.pseudonym).where(Response.campaign_id == campaign.id),
        select(StatementVote.pseudonym).where(StatementVote.campaign_id == campaign.id),
    ).subquery()
    respondents = await uow.session.scalar(select(func.count()).select_from(participants))
    await uow.publish(
        CampaignClosedV1(campaign_id=campaign.id, closed_at=moment, respondents=respondents or 0)
    )
    await uow.publish(
        PublicCampaignClosedV1(
            campaign_id=campaign.id, closed_at=moment, respondents=respondents or 0
        )
    )
    await _publish_report(uow, campaign, ids, final=True)


async def _campaign_for_member(
    uow: UnitOfWork, campaign_id: UUID, member_id: UUID, *, lock: bool = False
) -> Campaign:
    """The campaign if the member is in its audience, else CampaignNotFound: outsiders cannot
    tell a campaign for others from one that does not exist."""
    query = select(Campaign).where(Campaign.id == campaign_id)
    if lock:
        # Writers share-lock the campaign, so closing waits for them and the report sees them.
        query = query.with_for_update(read=True)
    campaign = await uow.session.scalar(query)
    if campaign is None or campaign.status == CampaignStatus.SCHEDULED:
        raise CampaignNotFound()
    if not in_audience(audience_of(campaign), await member_facts(uow, member_id)):
        raise CampaignNotFound()
    return campaign


def _require_open(campaign: Campaign) -> None:
    if campaign.status != CampaignStatus.OPEN or now() >= campaign.closes_at:
        raise CampaignNotOpen(
            CampaignStatus.CLOSED.value if now() >= campaign.closes_at else campaign.status
        )


# -- responses --------------------------------------------------------------------------------


async def submit_response(
    command: commands.SubmitResponse, uow: UnitOfWork, ids: Pseudonyms
) -> tuple[Response, bool]:
    """Create or replace the member's answers while the campaign is open; (response, created).

    Anonymous campaigns store the answers under the pseudonym only.
    """
    campaign = await _campaign_for_member(uow, command.campaign_id, command.member_id, lock=True)
    _require_open(campaign)
    questions = [Question.from_json(q) for q in campaign.questions]
    answers = check_answers(questions, command.answers)
    name = await ids.of(uow, command.member_id, campaign.id)
    attributed = campaign.anonymity == Anonymity.ATTRIBUTED
    row = (
        await uow.session.execute(
            insert(Response)
            .values(
                campaign_id=campaign.id,
                pseudonym=name,
                member_id=command.member_id if attributed else None,
                answers=answers,
                revision=1,
            )
            .on_conflict_do_update(
                index_elements=[Response.campaign_id, Response.pseudonym],
                set_={"answers": answers, "revision": Response.revision + 1},
            )
            .returning(Response.revision)
        )
    ).one()
    response = await uow.session.get(Response, (campaign.id, name), populate_existing=True)
    assert response is not None
    return response, row.revision == 1


async def my_response(
    uow: UnitOfWork, campaign_id: UUID, member_id: UUID, ids: Pseudonyms
) -> Response | None:
    campaign = await _campaign_for_member(uow, campaign_id, member_id)
    salt = await uow.session.scalar(
        select(MemberSalt.salt).where(MemberSalt.member_id == member_id)
    )
    if salt is None:
        return None
    return await uow.session.get(Response, (campaign.id, pseudonym(ids.key, salt, campaign.id)))


# -- statements and votes ---------------------------------------------------------------------


def normalise_statement(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().rstrip(".!?").lower()


def _statement(
    campaign_id: UUID, text: str, *, author: str | None, approved_by: str | None
) -> Statement:
    return Statement(
        id=uuid.uuid4(),
        campaign_id=campaign_id,
        text=re.sub(r"\s+", " ", text).strip(),
        normalised_text=normalise_statement(text),
        author_pseudonym=author,
        status=StatementStatus.APPROVED if approved_by else StatementStatus.PENDING,
        moderated_by=approved_by,
        moderated_at=now() if approved_by else None,
    )


async def submit_statement(
    command: commands.SubmitStatement, uow: UnitOfWork, ids: Pseudonyms, *, limit: int
) -> Statement:
    """A member's statement waits for moderation; an admin's is approved at once."""
    if command.by_admin:
        campaign = await uow.session.get(Campaign, command.campaign_id, with_for_update=True)
        if campaign is None:
            raise CampaignNotFound()
        if campaign.status == CampaignStatus.CLOSED:
            raise CampaignNotOpen(campaign.status)
        author = None
    else:
        campaign = await _campaign_for_member(
            uow, command.campaign_id, command.member_id, lock=True
        )
        _require_open(campaign)
        author = await ids.of(uow, command.member_id, campaign.id)
        count = await uow.session.scalar(
            select(func.count()).where(
                Statement.campaign_id == campaign.id, Statement.author_pseudonym == author
            )
        )
        if (count or 0) >= limit:
            raise TooManyStatements(limit)
    taken = await uow.session.scalar(
        select(Statement.id).where(
            Statement.campaign_id == campaign.id,
            Statement.normalised_text == normalise_statement(command.text),
        )
    )
    if taken is not None:
        raise DuplicateStatement()
    statement = _statement(
        campaign.id,
        command.text,
        author=author,
        approved_by=str(command.member_id) if command.by_admin else None,
    )
    uow.session.add(statement)
    await uow.session.flush()
    return statement


async def moderate_statement(command: commands.ModerateStatement, uow: UnitOfWork) -> Statement:
    """Approve, or reject with a reason. A rejected statement's votes no longer count."""
    campaign = await uow.session.get(Campaign, command.campaign_id, with_for_update=True)
    if campaign is None:
        raise CampaignNotFound()
    if campaign.status == CampaignStatus.CLOSED:
        raise CampaignClosed()
    statement = await uow.session.get(Statement, command.statement_id, with_for_update=True)
    if statement is None or statement.campaign_id != campaign.id:
        raise StatementNotFound()
    statement.status = StatementStatus.APPROVED if command.approve else StatementStatus.REJECTED
    statement.rejection_reason = None if command.approve else command.reason
    statement.moderated_by, statement.moderated_at = command.actor, now()
    return statement


async def cast_vote(command: commands.CastVote, uow: UnitOfWork, ids: Pseudonyms) -> None:
    """One vote per member per statement: a second one is refused (AlreadyVoted)."""
    campaign = await _campaign_for_member(uow, command.campaign_id, command.member_id, lock=True)
    _require_open(campaign)
    statement = await uow.session.get(Statement, command.statement_id)
    if statement is None or statement.campaign_id != campaign.id:
        raise StatementNotFound()
    if statement.status != StatementStatus.APPROVED:
        raise StatementNotApproved()
    name = await ids.of(uow, command.member_id, campaign.id)
    inserted = await uow.session.execute(
        insert(StatementVote)
        .values(
            statement_id=statement.id,
            pseudonym=name,
            campaign_id=campaign.id,
            value=command.vote.value_in_matrix,
        )
        .on_conflict_do_nothing()
        .returning(StatementVote.value)
    )
    if inserted.first() is None:
        raise AlreadyVoted()


# -- reports and follow-ups -------------------------------------------------------------------


async def publish_report(
    command: commands.PublishReport, uow: UnitOfWork, ids: Pseudonyms
) -> CampaignReportPublishedV1:
    """Publish a report now: interim while the campaign is open, final once it has closed."""
    campaign = await uow.session.get(Campaign, command.campaign_id, with_for_update=True)
    if campaign is None:
        raise CampaignNotFound()
    if campaign.status == CampaignStatus.SCHEDULED:
        raise CampaignNotOpen(campaign.status)
    return await _publish_report(uow, campaign, ids, final=campaign.status == CampaignStatus.CLOSED)


async def _publish_report(
    uow: UnitOfWork, campaign: Campaign, ids: Pseudonyms, *, final: bool
) -> CampaignReportPublishedV1:
    data = await _report_input(uow, campaign, ids)
    version = 1 + (
        await uow.session.scalar(
            select(func.coalesce(func.max(Report.version), 0)).where(
                Report.campaign_id == campaign.id
            )
        )
        or 0
    )
    moment = now()

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


async def _report_input(uow: UnitOfWork, campaign: Campaign, ids: Pseudonyms) -> ReportInput:
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
    attributes = await _attributes_by_pseudonym(uow, campaign.id, ids, participants)
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
    uow: UnitOfWork, campaign_id: UUID, ids: Pseudonyms, participants: set[str]
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
        name = pseudonym(ids.key, salt, campaign_id)
        if name in participants:
            found[name] = {
                k: v for k, v in (("sector", sector), ("region", region), ("cohort", cohort)) if v
            }
    return found


async def latest_report(uow: UnitOfWork, campaign_id: UUID) -> Report:
    report = await uow.session.scalar(
        select(Report)
        .where(Report.campaign_id == campaign_id)
        .order_by(Report.version.desc())
        .limit(1)
    )
    if report is None:
        raise NoReport()
    return report


async def post_follow_up(command: commands.PostFollowUp, uow: UnitOfWork) -> FollowUp:
    """'You said, we did' on a campaign with a published report; announced by event."""
    campaign = await uow.session.get(Campaign, command.campaign_id)
    if campaign is None:
        raise CampaignNotFound()
    await latest_report(uow, campaign.id)
    follow_up = FollowUp(
        id=uuid.uuid4(),
        campaign_id=campaign.id,
        you_said=command.you_said,
        we_did=command.we_did,
        posted_by=command.actor,
        posted_at=now(),
    )
    uow.session.add(follow_up)
    await uow.publish(
        CampaignFollowUpPostedV1(
            campaign_id=campaign.id,
            follow_up_id=follow_up.id,
            title=campaign.title,
            you_said=follow_up.you_said,
            we_did=follow_up.we_did,
            posted_at=follow_up.posted_at,
        )
    )
    return follow_up

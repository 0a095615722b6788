"""Read-side queries: what the API shows, and the look-ups handlers decide on (who is in a
campaign's audience, the latest report)."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.chassis.pagination import Cursor
from services.feedback.adapters.orm import (
    Campaign,
    FollowUp,
    Member,
    MemberCohort,
    MemberSalt,
    Report,
    Response,
    Statement,
    StatementVote,
)
from services.feedback.adapters.pseudonyms import Pseudonyms
from services.feedback.domain.errors import CampaignNotFound, NoReport
from services.feedback.domain.model import (
    Audience,
    AudienceKind,
    CampaignStatus,
    MemberFacts,
    StatementStatus,
    in_audience,
    pseudonym,
)

# -- audiences --------------------------------------------------------------------------------


async def member_facts(session: AsyncSession, member_id: UUID) -> MemberFacts | None:
    member = await session.get(Member, member_id)
    if member is None:
        return None
    cohorts = await session.scalars(
        select(MemberCohort.cohort_id).where(MemberCohort.member_id == member_id)
    )
    return MemberFacts(active=member.active, cohort_ids=frozenset(cohorts), sector=member.sector)


def audience_of(campaign: Campaign) -> Audience:
    return Audience(
        kind=AudienceKind(campaign.audience_kind),
        cohort_id=campaign.audience_cohort_id,
        sectors=tuple(campaign.audience_sectors or ()),
    )


async def campaign_for_member(
    session: AsyncSession, campaign_id: UUID, member_id: UUID, *, lock: bool = False
) -> Campaign:
    """The campaign if the member is in its audience, else CampaignNotFound: outsiders cannot
    tell a campaign for others from one that does not exist."""
    query = select(Campaign).where(Campaign.id == campaign_id)
    if lock:
        # Writers share-lock the campaign, so closing waits for them and the report sees them.
        query = query.with_for_update(read=True)
    campaign = await session.scalar(query)
    if campaign is None or campaign.status == CampaignStatus.SCHEDULED:
        raise CampaignNotFound()
    if not in_audience(audience_of(campaign), await member_facts(session, member_id)):
        raise CampaignNotFound()
    return campaign


# -- campaigns --------------------------------------------------------------------------------


async def campaigns_page(
    session: AsyncSession,
    *,
    member_id: UUID | None,
    cursor: Cursor | None,
    limit: int,
    status: CampaignStatus | None,
) -> list[Campaign]:
    """Newest first. `member_id` None: every campaign (admins); otherwise only the open or
    closed campaigns whose audience includes that active member."""
    query = select(Campaign).order_by(Campaign.created_at.desc(), Campaign.id.desc())
    if status is not None:
        query = query.where(Campaign.status == status)
    if member_id is not None:
        member = await session.get(Member, member_id)
        if member is None or not member.active:
            return []
        cohorts = select(MemberCohort.cohort_id).where(MemberCohort.member_id == member_id)
        audience = [
            Campaign.audience_kind == AudienceKind.ALL,
            and_(
                Campaign.audience_kind == AudienceKind.COHORT,
                Campaign.audience_cohort_id.in_(cohorts),
            ),
        ]
        if member.sector:
            audience.append(
                and_(
                    Campaign.audience_kind == AudienceKind.SECTORS,
                    Campaign.audience_sectors.contains([member.sector]),
                )
            )
        query = query.where(Campaign.status != CampaignStatus.SCHEDULED, or_(*audience))
    if cursor is not None:
        query = query.where(
            or_(
                Campaign.created_at < cursor.created_at,
                and_(Campaign.created_at == cursor.created_at, Campaign.id < cursor.id),
            )
        )
    return list((await session.scalars(query.limit(limit + 1))).all())


async def my_response(
    session: AsyncSession, campaign_id: UUID, member_id: UUID, *, pseudonyms: Pseudonyms
) -> Response | None:
    """The member's own answer, found through their pseudonym (creating no salt)."""
    campaign = await campaign_for_member(session, campaign_id, member_id)
    salt = await session.scalar(select(MemberSalt.salt).where(MemberSalt.member_id == member_id))
    if salt is None:
        return None
    return await session.get(Response, (campaign.id, pseudonym(pseudonyms.key, salt, campaign.id)))


# -- statements -------------------------------------------------------------------------------


async def statements_for_member(
    session: AsyncSession, campaign_id: UUID, pseudonym: str | None, *, after: int, limit: int
) -> list[tuple[Statement, int | None]]:
    """Approved statements in submission order, with the caller's own vote (or None)."""
    mine = (
        select(StatementVote.value)
        .where(
            StatementVote.statement_id == Statement.id,
            StatementVote.pseudonym == (pseudonym or ""),
        )
        .scalar_subquery()
    )
    rows = await session.execute(
        select(Statement, mine)
        .where(
            Statement.campaign_id == campaign_id,
            Statement.status == StatementStatus.APPROVED,
            Statement.seq > after,
        )
        .order_by(Statement.seq)
        .limit(limit + 1)
    )
    return [(statement, vote) for statement, vote in rows.all()]


async def statements_for_admin(
    session: AsyncSession,
    campaign_id: UUID,
    status: StatementStatus | None,
    *,
    after: int,
    limit: int,
) -> list[tuple[Statement, int]]:
    votes = select(func.count()).where(StatementVote.statement_id == Statement.id).scalar_subquery()
    query = select(Statement, votes).where(
        Statement.campaign_id == campaign_id, Statement.seq > after
    )
    if status is not None:
        query = query.where(Statement.status == status)
    rows = await session.execute(query.order_by(Statement.seq).limit(limit + 1))
    return [(statement, count) for statement, count in rows.all()]


# -- reports and follow-ups -------------------------------------------------------------------


async def latest_report(session: AsyncSession, campaign_id: UUID) -> Report:
    report = await session.scalar(
        select(Report)
        .where(Report.campaign_id == campaign_id)
        .order_by(Report.version.desc())
        .limit(1)
    )
    if report is None:
        raise NoReport()
    return report


async def follow_ups(session: AsyncSession, campaign_id: UUID) -> list[FollowUp]:
    return list(
        (
            await session.scalars(
                select(FollowUp)
                .where(FollowUp.campaign_id == campaign_id)
                .order_by(FollowUp.posted_at, FollowUp.id)
            )
        ).all()
    )


async def audience_size(session: AsyncSession, campaign: Campaign) -> int:
    """How many active members are in the campaign's audience now."""
    query = select(func.count()).select_from(Member).where(Member.active)
    if campaign.audience_kind == AudienceKind.COHORT:
        query = query.where(
            Member.member_id.in_(
                select(MemberCohort.member_id).where(
                    MemberCohort.cohort_id == campaign.audience_cohort_id
                )
            )
        )
    elif campaign.audience_kind == AudienceKind.SECTORS:
        query = query.where(Member.sector.in_(list(campaign.audience_sectors or ())))
    return int(await session.scalar(query) or 0)

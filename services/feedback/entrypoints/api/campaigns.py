"""Campaign routes: create, list, read and close early."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, status

from services.chassis.auth import CurrentPrincipal, member_id_of
from services.chassis.pagination import Cursor, Page, PageCursor, PageSize
from services.chassis.runtime import UnitOfWorkDep
from services.feedback import views
from services.feedback.domain import commands
from services.feedback.domain.model import Audience, CampaignStatus, Question
from services.feedback.entrypoints.api.dependencies import (
    ProgrammeAdmin,
    is_admin,
    visible_campaign,
)
from services.feedback.entrypoints.api.problems import run
from services.feedback.handlers import campaigns
from services.feedback.schemas import CampaignCreate, CampaignRead, ReportingRulesRead

router = APIRouter(prefix="/campaigns", tags=["campaigns"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create a campaign (opens at once if opens_at has passed)",
)
async def create_campaign(
    body: CampaignCreate, uow: UnitOfWorkDep, admin: ProgrammeAdmin
) -> CampaignRead:
    campaign = await run(
        campaigns.create_campaign(
            commands.CreateCampaign(
                title=body.title,
                question=body.question,
                context=body.context,
                audience=Audience(body.audience, body.cohort_id, tuple(body.sectors)),
                anonymity=body.anonymity,
                questions=tuple(Question.from_json(q.model_dump()) for q in body.questions),
                opens_at=body.opens_at,
                closes_at=body.closes_at,
                created_by=admin.subject,
                seed_statements=tuple(body.statements),
            ),
            uow,
        )
    )
    await uow.commit()
    return CampaignRead.of(campaign)


@router.get(
    "", summary="Campaigns: all for admins, open and closed ones in their audience for members"
)
async def list_campaigns(
    uow: UnitOfWorkDep,
    principal: CurrentPrincipal,
    limit: PageSize = 20,
    cursor: PageCursor = None,
    status_filter: Annotated[CampaignStatus | None, Query(alias="status")] = None,
) -> Page[CampaignRead]:
    rows = await views.campaigns_page(
        uow.session,
        member_id=None if is_admin(principal) else member_id_of(principal),
        cursor=Cursor.decode(cursor) if cursor else None,
        limit=limit,
        status=status_filter,
    )
    page = rows[:limit]
    next_cursor = Cursor(page[-1].created_at, page[-1].id).encode() if len(rows) > limit else None
    return Page[CampaignRead](items=[CampaignRead.of(c) for c in page], next_cursor=next_cursor)


@router.get(
    "/reporting-rules",
    summary="What reports may show: k, audience and cohort minimums, interim rate limit",
)
async def reporting_rules(principal: CurrentPrincipal) -> ReportingRulesRead:
    return ReportingRulesRead.current()


@router.get("/{campaign_id}", summary="One campaign with its questions")
async def get_campaign(
    campaign_id: UUID, uow: UnitOfWorkDep, principal: CurrentPrincipal
) -> CampaignRead:
    return CampaignRead.of(await visible_campaign(uow, campaign_id, principal))


@router.post(
    "/{campaign_id}/close",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Close now: answers and votes stop at once; the final report follows in seconds",
)
async def close_campaign(
    campaign_id: UUID, uow: UnitOfWorkDep, admin: ProgrammeAdmin
) -> CampaignRead:
    campaign = await run(
        campaigns.close_campaign(commands.CloseCampaign(campaign_id, admin.subject), uow)
    )
    await uow.commit()
    return CampaignRead.of(campaign)

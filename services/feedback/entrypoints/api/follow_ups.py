"""Follow-up routes: post and read "you said, we did"."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, status

from services.chassis.auth import CurrentPrincipal
from services.chassis.runtime import UnitOfWorkDep
from services.feedback import views
from services.feedback.domain import commands
from services.feedback.entrypoints.api.dependencies import ProgrammeAdmin, visible_campaign
from services.feedback.entrypoints.api.problems import run
from services.feedback.handlers import follow_ups
from services.feedback.schemas import FollowUpCreate, FollowUpRead

router = APIRouter(prefix="/campaigns", tags=["campaigns"])


@router.post(
    "/{campaign_id}/follow-ups",
    status_code=status.HTTP_201_CREATED,
    summary="Record 'you said, we did' on a published report",
)
async def post_follow_up(
    campaign_id: UUID, body: FollowUpCreate, uow: UnitOfWorkDep, admin: ProgrammeAdmin
) -> FollowUpRead:
    follow_up = await run(
        follow_ups.post_follow_up(
            commands.PostFollowUp(campaign_id, body.you_said, body.we_did, admin.subject), uow
        )
    )
    await uow.commit()
    return FollowUpRead.model_validate(follow_up)


@router.get("/{campaign_id}/follow-ups", summary="'You said, we did' for this campaign")
async def list_follow_ups(
    campaign_id: UUID, uow: UnitOfWorkDep, principal: CurrentPrincipal
) -> list[FollowUpRead]:
    campaign = await visible_campaign(uow, campaign_id, principal)
    return [
        FollowUpRead.model_validate(f) for f in await views.follow_ups(uow.session, campaign.id)
    ]

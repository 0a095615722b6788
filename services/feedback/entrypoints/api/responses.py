"""Response routes: a member answers a campaign, changes the answer, reads it back."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response, status

from services.chassis.auth import member_id_of
from services.chassis.problems import Problem
from services.chassis.runtime import UnitOfWorkDep
from services.feedback import views
from services.feedback.adapters import orm
from services.feedback.domain import commands
from services.feedback.entrypoints.api.dependencies import (
    Participant,
    PseudonymsDep,
    SaltedParticipant,
)
from services.feedback.entrypoints.api.problems import run
from services.feedback.handlers import responses
from services.feedback.schemas import ResponseRead, ResponseWrite

router = APIRouter(prefix="/campaigns", tags=["campaigns"])


def _response_read(campaign_id: UUID, response: orm.Response) -> ResponseRead:
    return ResponseRead(
        campaign_id=campaign_id,
        answers=response.answers,
        revision=response.revision,
        anonymous=response.member_id is None,
    )


@router.put(
    "/{campaign_id}/response",
    summary="Answer, or change your answer, while the campaign is open",
    responses={201: {"description": "First answer"}, 200: {"description": "Answer changed"}},
)
async def put_response(
    campaign_id: UUID,
    body: ResponseWrite,
    uow: UnitOfWorkDep,
    member: SaltedParticipant,
    ids: PseudonymsDep,
    http_response: Response,
) -> ResponseRead:
    saved, created = await run(
        responses.submit_response(
            commands.SubmitResponse(campaign_id, member_id_of(member), dict(body.answers)),
            uow,
            pseudonyms=ids,
        )
    )
    await uow.commit()
    http_response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return _response_read(campaign_id, saved)


@router.get("/{campaign_id}/response", summary="Your own answer (nobody else's)")
async def get_response(
    campaign_id: UUID, uow: UnitOfWorkDep, member: Participant, ids: PseudonymsDep
) -> ResponseRead:
    found = await run(
        views.my_response(uow.session, campaign_id, member_id_of(member), pseudonyms=ids)
    )
    if found is None:
        raise Problem(404, "Not found", "You have not answered this campaign.", "no-response")
    return _response_read(campaign_id, found)

"""Responses: a member's answers to a campaign's questions, kept under their pseudonym."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.dialects.postgresql import insert

from services.chassis.database import UnitOfWork
from services.feedback import views
from services.feedback.adapters.orm import Response
from services.feedback.adapters.pseudonyms import Pseudonyms
from services.feedback.domain import commands
from services.feedback.domain.model import Anonymity, Question, check_answers, require_open


async def submit_response(
    command: commands.SubmitResponse, uow: UnitOfWork, *, pseudonyms: Pseudonyms
) -> tuple[Response, bool]:
    """Create or replace the member's answers while the campaign is open; (response, created).

    Anonymous campaigns store the answers under the pseudonym only.
    """
    campaign = await views.campaign_for_member(
        uow.session, command.campaign_id, command.member_id, lock=True
    )
    require_open(campaign.status, campaign.closes_at, datetime.now(UTC))
    questions = [Question.from_json(q) for q in campaign.questions]
    answers = check_answers(questions, command.answers)
    name = await pseudonyms.of(uow, command.member_id, campaign.id)
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

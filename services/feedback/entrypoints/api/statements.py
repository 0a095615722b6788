"""Statement and vote routes: propose, list, moderate and vote on statements."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, status

from services.chassis.auth import CurrentPrincipal, member_id_of
from services.chassis.pagination import Page, PageCursor
from services.chassis.problems import Problem
from services.chassis.runtime import UnitOfWorkDep
from services.feedback import views
from services.feedback.domain import commands
from services.feedback.domain.model import StatementStatus, Vote
from services.feedback.entrypoints.api.dependencies import (
    ProgrammeAdmin,
    PseudonymsDep,
    SaltedParticipant,
    SaltedPrincipal,
    SettingsDep,
    is_admin,
    visible_campaign,
)
from services.feedback.entrypoints.api.problems import run
from services.feedback.handlers import statements
from services.feedback.schemas import (
    ModerationDecision,
    StatementCreate,
    StatementRead,
    VoteCreate,
    VoteRead,
)

router = APIRouter(prefix="/campaigns", tags=["campaigns"])

_VOTES = {1: Vote.AGREE, -1: Vote.DISAGREE, 0: Vote.PASS}


def _after(cursor: str | None) -> int:
    if not cursor:
        return 0
    if not cursor.isdigit() or len(cursor) > 18:
        raise Problem(400, "Bad cursor", "The page cursor is not valid.", "bad-cursor")
    return int(cursor)


@router.post(
    "/{campaign_id}/statements",
    status_code=status.HTTP_201_CREATED,
    summary="Add a statement (members: waits for moderation; admins: approved at once)",
)
async def create_statement(
    campaign_id: UUID,
    body: StatementCreate,
    uow: UnitOfWorkDep,
    principal: SaltedPrincipal,
    ids: PseudonymsDep,
    settings: SettingsDep,
) -> StatementRead:
    admin = is_admin(principal)
    if not admin and not principal.has_role("member"):
        raise Problem(403, "Forbidden", "This needs the role member.", "forbidden")
    statement = await run(
        statements.submit_statement(
            commands.SubmitStatement(campaign_id, member_id_of(principal), body.text, admin),
            uow,
            pseudonyms=ids,
            statements_per_member=settings.statements_per_member,
        )
    )
    await uow.commit()
    return StatementRead(id=statement.id, text=statement.text, status=statement.status)


@router.get(
    "/{campaign_id}/statements",
    summary="Statements: approved ones with your vote (members), any status (admins)",
)
async def list_statements(
    campaign_id: UUID,
    uow: UnitOfWorkDep,
    principal: CurrentPrincipal,
    ids: PseudonymsDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: PageCursor = None,
    status_filter: Annotated[StatementStatus | None, Query(alias="status")] = None,
) -> Page[StatementRead]:
    campaign = await visible_campaign(uow, campaign_id, principal)
    after = _after(cursor)
    items: list[StatementRead]
    if is_admin(principal):
        admin_rows = await views.statements_for_admin(
            uow.session, campaign.id, status_filter, after=after, limit=limit
        )
        seqs = [s.seq for s, _ in admin_rows]
        items = [
            StatementRead(
                id=s.id,
                text=s.text,
                status=s.status,
                rejection_reason=s.rejection_reason,
                votes=count,
            )
            for s, count in admin_rows
        ]
    else:
        name = await ids.find(uow, member_id_of(principal), campaign.id)
        member_rows = await views.statements_for_member(
            uow.session, campaign.id, name, after=after, limit=limit
        )
        seqs = [s.seq for s, _ in member_rows]
        items = [
            StatementRead(
                id=s.id, text=s.text, status=s.status, my_vote=None if v is None else _VOTES[v]
            )
            for s, v in member_rows
        ]
    more = len(items) > limit
    return Page[StatementRead](
        items=items[:limit], next_cursor=str(seqs[limit - 1]) if more else None
    )


@router.post(
    "/{campaign_id}/statements/{statement_id}/moderation",
    summary="Approve a statement, or reject it with a reason",
)
async def moderate_statement(
    campaign_id: UUID,
    statement_id: UUID,
    body: ModerationDecision,
    uow: UnitOfWorkDep,
    admin: ProgrammeAdmin,
) -> StatementRead:
    statement = await run(
        statements.moderate_statement(
            commands.ModerateStatement(
                campaign_id, statement_id, body.decision == "approve", body.reason, admin.subject
            ),
            uow,
        )
    )
    await uow.commit()
    return StatementRead(
        id=statement.id,
        text=statement.text,
        status=statement.status,
        rejection_reason=statement.rejection_reason,
    )


@router.post(
    "/{campaign_id}/statements/{statement_id}/votes",
    status_code=status.HTTP_201_CREATED,
    summary="Vote agree, disagree or pass on an approved statement (once; votes are final)",
)
async def cast_vote(
    campaign_id: UUID,
    statement_id: UUID,
    body: VoteCreate,
    uow: UnitOfWorkDep,
    member: SaltedParticipant,
    ids: PseudonymsDep,
) -> VoteRead:
    await run(
        statements.cast_vote(
            commands.CastVote(campaign_id, statement_id, member_id_of(member), body.vote),
            uow,
            pseudonyms=ids,
        )
    )
    await uow.commit()
    return VoteRead(statement_id=statement_id, vote=body.vote)

"""Identity's HTTP routes: thin, they validate, call a handler and commit."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status

from services.chassis.auth import require_role
from services.chassis.pagination import Cursor, Page, PageCursor, PageSize
from services.chassis.problems import Problem
from services.chassis.runtime import UnitOfWorkDep
from services.chassis.tokens import Principal
from services.identity import handlers, views
from services.identity.domain.commands import InviteMember
from services.identity.domain.errors import AlreadyInvited
from services.identity.schemas import InvitationCreate, InvitationRead
from services.identity.signing import SigningKeys

ProgrammeAdmin = Annotated[Principal, Depends(require_role("programme_admin"))]

keys_router = APIRouter(tags=["keys"])
invitations_router = APIRouter(prefix="/invitations", tags=["invitations"])


@keys_router.get("/.well-known/jwks.json", summary="Public keys that verify access tokens")
async def jwks(request: Request) -> dict[str, Any]:
    signing_keys: SigningKeys = request.app.state.token_verifier.keys
    return await signing_keys.jwks()


@invitations_router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Invite a person to join Convene",
    responses={409: {"description": "That email is already invited or a member"}},
)
async def create_invitation(
    body: InvitationCreate, uow: UnitOfWorkDep, admin: ProgrammeAdmin, request: Request
) -> InvitationRead:
    settings = request.app.state.runtime.settings
    try:
        invitation, _ = await handlers.invite_member(
            InviteMember(
                full_name=body.full_name,
                email=str(body.email),
                organisation=body.organisation,
                invited_by=admin.subject,
            ),
            uow,
            valid_for=timedelta(days=settings.invitation_valid_days),
        )
    except AlreadyInvited as exc:
        raise Problem(409, "Already invited", str(exc), "already-invited") from exc
    await uow.commit()
    return InvitationRead.model_validate(invitation)


@invitations_router.get("", summary="List invitations, newest first")
async def list_invitations(
    uow: UnitOfWorkDep, _: ProgrammeAdmin, limit: PageSize = 25, cursor: PageCursor = None
) -> Page[InvitationRead]:
    rows = await views.list_invitations(
        uow.session, limit=limit + 1, after=Cursor.decode(cursor) if cursor else None
    )
    items = [InvitationRead.model_validate(row) for row in rows[:limit]]
    next_cursor = (
        Cursor(rows[limit - 1].created_at, rows[limit - 1].id).encode()
        if len(rows) > limit
        else None
    )
    return Page(items=items, next_cursor=next_cursor)

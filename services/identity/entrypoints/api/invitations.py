"""Invitation routes: programme admins invite people, one by one or a cohort from a CSV file."""

from __future__ import annotations

import csv
import io
from uuid import UUID

from fastapi import APIRouter, Request, status
from pydantic import ValidationError

from services.chassis.pagination import Cursor, Page, PageCursor, PageSize
from services.chassis.problems import Problem
from services.chassis.runtime import UnitOfWorkDep
from services.identity import views
from services.identity.domain import commands
from services.identity.domain.errors import IdentityError
from services.identity.entrypoints.api.dependencies import ProgrammeAdmin, SettingsDep
from services.identity.entrypoints.api.paging import page_of
from services.identity.entrypoints.api.problems import run
from services.identity.handlers import invitations
from services.identity.schemas import (
    BulkInvitationResult,
    BulkInvitationRow,
    InvitationCreate,
    InvitationRead,
)

router = APIRouter(prefix="/invitations", tags=["invitations"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Invite a person to join Convene",
    responses={
        409: {"description": "Already invited or a member"},
        422: {"description": "Invalid, or a domain outside the allow-list"},
    },
)
async def create_invitation(
    body: InvitationCreate, uow: UnitOfWorkDep, admin: ProgrammeAdmin, settings: SettingsDep
) -> InvitationRead:
    invitation = await run(
        invitations.invite_member(
            commands.InviteMember(
                full_name=body.full_name,
                email=str(body.email),
                organisation=body.organisation,
                invited_by=admin.subject,
                override_reason=body.override_reason,
            ),
            uow,
            settings=settings,
        )
    )
    await uow.commit()
    return InvitationRead.model_validate(invitation)


@router.post(
    "/bulk",
    summary="Invite a cohort from a CSV file (full_name,email,organisation)",
    description=(
        "Each valid row is invited; each bad row is reported with its line number and reasons. "
        "A row is written whole or not at all."
    ),
    openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def bulk_invite(
    request: Request, uow: UnitOfWorkDep, admin: ProgrammeAdmin, settings: SettingsDep
) -> BulkInvitationResult:
    text = await _csv_text(request)
    reader = csv.DictReader(io.StringIO(text))
    expected = {"full_name", "email", "organisation"}
    if reader.fieldnames is None or not expected.issubset({f.strip() for f in reader.fieldnames}):
        raise Problem(
            422,
            "Invalid CSV",
            "The first line must name the columns full_name,email,organisation.",
            "invalid-csv",
        )
    rows: list[BulkInvitationRow] = []
    seen: set[str] = set()
    for line, raw in enumerate(reader, start=2):
        record = {
            k.strip(): (v or "").strip() for k, v in raw.items() if k and k.strip() in expected
        }
        try:
            body = InvitationCreate.model_validate(record)
        except ValidationError as exc:
            errors = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
            rows.append(
                BulkInvitationRow(
                    row=line, email=record.get("email"), status="error", errors=errors
                )
            )
            continue
        email = str(body.email).lower()
        if email in seen:
            rows.append(
                BulkInvitationRow(
                    row=line,
                    email=email,
                    status="error",
                    errors=["this address appears earlier in the file"],
                )
            )
            continue
        seen.add(email)
        try:
            async with uow.session.begin_nested():  # one savepoint per row: whole or nothing
                invitation = await invitations.invite_member(
                    commands.InviteMember(
                        full_name=body.full_name,
                        email=email,
                        organisation=body.organisation,
                        invited_by=admin.subject,
                    ),
                    uow,
                    settings=settings,
                )
        except IdentityError as exc:
            rows.append(BulkInvitationRow(row=line, email=email, status="error", errors=[str(exc)]))
            continue
        rows.append(
            BulkInvitationRow(row=line, email=email, status="invited", invitation_id=invitation.id)
        )
    if not rows:
        raise Problem(422, "Invalid CSV", "The file has no rows after the header.", "invalid-csv")
    await uow.commit()
    invited = sum(1 for row in rows if row.status == "invited")
    return BulkInvitationResult(invited=invited, failed=len(rows) - invited, rows=rows)


async def _csv_text(request: Request) -> str:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in ("text/csv", "text/plain"):
        raise Problem(
            415, "Unsupported media type", "Send the file as text/csv.", "unsupported-media-type"
        )
    try:
        return (await request.body()).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Problem(422, "Invalid CSV", "The file must be UTF-8 text.", "invalid-csv") from exc


@router.get("", summary="List invitations, newest first")
async def list_invitations(
    uow: UnitOfWorkDep, _: ProgrammeAdmin, limit: PageSize = 25, cursor: PageCursor = None
) -> Page[InvitationRead]:
    rows = await views.list_invitations(
        uow.session, limit=limit + 1, after=Cursor.decode(cursor) if cursor else None
    )
    return page_of(rows, limit, InvitationRead.model_validate)


@router.post("/{invitation_id}/revoke", summary="Revoke a pending invitation")
async def revoke_invitation(
    invitation_id: UUID, uow: UnitOfWorkDep, admin: ProgrammeAdmin
) -> InvitationRead:
    invitation = await run(
        invitations.revoke_invitation(commands.RevokeInvitation(invitation_id, admin.subject), uow)
    )
    await uow.commit()
    return InvitationRead.model_validate(invitation)

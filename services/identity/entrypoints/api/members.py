"""Member routes: the signed-in member, and programme admins' view and care of members."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query

from services.chassis.auth import CurrentPrincipal
from services.chassis.pagination import Cursor, Page, PageCursor, PageSize
from services.chassis.problems import Problem
from services.chassis.runtime import UnitOfWorkDep
from services.identity import views
from services.identity.adapters.orm import Member
from services.identity.domain import commands
from services.identity.domain.errors import MemberNotFound
from services.identity.entrypoints.api.dependencies import ProgrammeAdmin
from services.identity.entrypoints.api.paging import page_of
from services.identity.entrypoints.api.problems import as_problem, run
from services.identity.handlers import members
from services.identity.schemas import AuditEntryRead, AuditPage, MemberRead, RolesUpdate

router = APIRouter(tags=["members"])


@router.get("/me", summary="The signed-in member")
async def me(caller: CurrentPrincipal, uow: UnitOfWorkDep) -> MemberRead:
    try:
        member = await uow.session.get(Member, UUID(caller.subject))
    except ValueError:
        member = None
    if member is None:
        raise Problem(
            404, "Not found", "This token does not belong to a member.", "member-not-found"
        )
    return MemberRead.model_validate(member)


@router.get("/members", summary="List members, newest first")
async def list_members(
    uow: UnitOfWorkDep,
    _: ProgrammeAdmin,
    status_filter: Annotated[
        Literal["invited", "active", "deactivated", "erased"] | None, Query(alias="status")
    ] = None,
    limit: PageSize = 25,
    cursor: PageCursor = None,
) -> Page[MemberRead]:
    rows = await views.list_members(
        uow.session,
        status=status_filter,
        limit=limit + 1,
        after=Cursor.decode(cursor) if cursor else None,
    )
    return page_of(rows, limit, MemberRead.model_validate)


@router.get("/members/{member_id}", summary="One member")
async def read_member(member_id: UUID, uow: UnitOfWorkDep, _: ProgrammeAdmin) -> MemberRead:
    member = await uow.session.get(Member, member_id)
    if member is None:
        raise as_problem(MemberNotFound())
    return MemberRead.model_validate(member)


@router.put("/members/{member_id}/roles", summary="Set a member's roles (member is implied)")
async def set_roles(
    member_id: UUID, body: RolesUpdate, uow: UnitOfWorkDep, admin: ProgrammeAdmin
) -> MemberRead:
    member = await run(
        members.change_roles(
            commands.ChangeRoles(member_id, frozenset(body.roles), admin.subject), uow
        )
    )
    await uow.commit()
    return MemberRead.model_validate(member)


@router.post("/members/{member_id}/deactivate", summary="Stop a member signing in")
async def deactivate(member_id: UUID, uow: UnitOfWorkDep, admin: ProgrammeAdmin) -> MemberRead:
    member = await run(
        members.deactivate_member(commands.DeactivateMember(member_id, admin.subject), uow)
    )
    await uow.commit()
    return MemberRead.model_validate(member)


@router.post(
    "/members/{member_id}/erasure",
    summary="Erase a member's personal data everywhere (UK GDPR)",
    description="Identity erases now; every other service erases on the MemberErased event.",
)
async def erase(member_id: UUID, uow: UnitOfWorkDep, admin: ProgrammeAdmin) -> MemberRead:
    member = await run(members.erase_member(commands.EraseMember(member_id, admin.subject), uow))
    await uow.commit()
    return MemberRead.model_validate(member)


@router.get("/audit", summary="The audit log, newest first")
async def audit_log(
    uow: UnitOfWorkDep,
    _: ProgrammeAdmin,
    member_id: UUID | None = None,
    limit: PageSize = 50,
    before: Annotated[int | None, Query(ge=1)] = None,
) -> AuditPage:
    rows = await views.audit_entries(
        uow.session, member_id=member_id, limit=limit + 1, before=before
    )
    items = [AuditEntryRead.model_validate(row) for row in rows[:limit]]
    return AuditPage(items=items, next_before=items[-1].id if len(rows) > limit else None)

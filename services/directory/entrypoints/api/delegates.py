"""Delegates a member names to act for them."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response

from services.chassis.auth import CurrentPrincipal
from services.chassis.runtime import UnitOfWorkDep
from services.directory.domain import commands
from services.directory.entrypoints.api.dependencies import (
    actor_of,
    manager_or_admin,
    resolve,
)
from services.directory.entrypoints.api.problems import run
from services.directory.handlers import delegates as handlers
from services.directory.schemas import (
    DelegateCreate,
    DelegateRead,
)
from services.directory.views import lists

router = APIRouter(prefix="/profiles", tags=["profiles"])


@router.get("/{member}/delegates", summary="Delegates who may act for this member")
async def list_delegates(
    member: str, uow: UnitOfWorkDep, caller: CurrentPrincipal
) -> list[DelegateRead]:
    member_id, _ = await manager_or_admin(uow, caller, member, admin_ok=True)
    rows = await lists.delegates_of(uow.session, member_id)
    names = await lists.names(uow.session, [r.delegate_id for r in rows])
    return [
        DelegateRead(
            delegate_id=r.delegate_id, name=names.get(r.delegate_id), created_at=r.created_at
        )
        for r in rows
    ]


@router.post("/{member}/delegates", status_code=204, summary="Name a delegate")
async def name_delegate(
    member: str, body: DelegateCreate, uow: UnitOfWorkDep, caller: CurrentPrincipal
) -> Response:
    member_id = resolve(member, caller)
    await run(
        handlers.name_delegate(
            commands.NameDelegate(member_id, body.delegate_id, actor_of(caller)), uow
        )
    )
    await uow.commit()
    return Response(status_code=204)


@router.delete("/{member}/delegates/{delegate_id}", status_code=204, summary="End a delegation")
async def remove_delegate(
    member: str, delegate_id: UUID, uow: UnitOfWorkDep, caller: CurrentPrincipal
) -> Response:
    member_id = resolve(member, caller)
    await run(
        handlers.remove_delegate(
            commands.RemoveDelegate(member_id, delegate_id, actor_of(caller)), uow
        )
    )
    await uow.commit()
    return Response(status_code=204)

"""Contact between members: connections, blocks, and contact requests (sent, listed, decided)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Response

from services.chassis.auth import CurrentPrincipal
from services.chassis.problems import Problem
from services.chassis.runtime import UnitOfWorkDep
from services.directory.adapters.orm import ContactRequest
from services.directory.domain import commands
from services.directory.entrypoints.api.dependencies import (
    SettingsDep,
    actor_of,
    manager_or_admin,
    may_manage,
    person_id,
    resolve,
    viewer_of,
)
from services.directory.entrypoints.api.problems import run
from services.directory.handlers import contacts as handlers
from services.directory.schemas import (
    BlockCreate,
    ContactRequestCreate,
    ContactRequestPage,
    ContactRequestRead,
    Decision,
    MemberRef,
)
from services.directory.views import lists

router = APIRouter(prefix="/profiles", tags=["profiles"])
requests_router = APIRouter(prefix="/contact-requests", tags=["contact requests"])


@router.get("/{member}/connections", summary="Accepted contacts")
async def profile_connections(
    member: str, uow: UnitOfWorkDep, caller: CurrentPrincipal
) -> list[MemberRef]:
    member_id, _ = await manager_or_admin(uow, caller, member, admin_ok=False)
    rows = await lists.connections_of(uow.session, member_id)
    names = await lists.names(uow.session, [r.other_id for r in rows])
    return [
        MemberRef(member_id=r.other_id, name=names.get(r.other_id), since=r.created_at)
        for r in rows
    ]


@router.get("/{member}/blocks", summary="Members this member has blocked")
async def list_blocks(member: str, uow: UnitOfWorkDep, caller: CurrentPrincipal) -> list[MemberRef]:
    member_id, _ = await manager_or_admin(uow, caller, member, admin_ok=False)
    rows = await lists.blocked_by(uow.session, member_id)
    names = await lists.names(uow.session, [r.blocked_id for r in rows])
    return [
        MemberRef(member_id=r.blocked_id, name=names.get(r.blocked_id), since=r.created_at)
        for r in rows
    ]


@router.post("/{member}/blocks", status_code=204, summary="Block a member")
async def block_member(
    member: str, body: BlockCreate, uow: UnitOfWorkDep, caller: CurrentPrincipal
) -> Response:
    member_id = resolve(member, caller)
    await run(
        handlers.block_member(
            commands.BlockMember(member_id, body.member_id, actor_of(caller)), uow
        )
    )
    await uow.commit()
    return Response(status_code=204)


@router.delete("/{member}/blocks/{blocked_id}", status_code=204, summary="Unblock")
async def unblock_member(
    member: str, blocked_id: UUID, uow: UnitOfWorkDep, caller: CurrentPrincipal
) -> Response:
    member_id = resolve(member, caller)
    await run(
        handlers.unblock_member(
            commands.UnblockMember(member_id, blocked_id, actor_of(caller)), uow
        )
    )
    await uow.commit()
    return Response(status_code=204)


def _request_read(request: ContactRequest, names: dict[UUID, str]) -> ContactRequestRead:
    read = ContactRequestRead.model_validate(request)
    return read.model_copy(
        update={
            "requester_name": names.get(request.requester_id),
            "recipient_name": names.get(request.recipient_id),
            "status": "expired"
            if request.status == "pending" and request.expires_at <= datetime.now(UTC)
            else request.status,
        }
    )


@requests_router.post(
    "",
    status_code=201,
    summary="Ask a member for contact, with a short reason",
    responses={429: {"description": "Daily limit reached (see Retry-After)"}},
)
async def send_contact_request(
    body: ContactRequestCreate, uow: UnitOfWorkDep, caller: CurrentPrincipal, settings: SettingsDep
) -> ContactRequestRead:
    actor = actor_of(caller)
    requester = body.on_behalf_of or actor.member_id
    request = await run(
        handlers.send_contact_request(
            commands.SendContactRequest(requester, body.recipient_id, body.reason, actor),
            uow,
            settings=settings,
        )
    )
    await uow.commit()
    names = await lists.names(uow.session, [request.requester_id, request.recipient_id])
    return _request_read(request, names)


def _request_cursor(cursor: str | None) -> tuple[datetime, UUID] | None:
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created, id_ = json.loads(raw)
        return datetime.fromisoformat(created), UUID(id_)
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        raise Problem(400, "Bad cursor", "The page cursor is not valid.", "bad-cursor") from exc


@requests_router.get("", summary="Your contact requests (or your principal's, as a delegate)")
async def list_contact_requests(
    uow: UnitOfWorkDep,
    caller: CurrentPrincipal,
    direction: Literal["incoming", "outgoing"] = "incoming",
    request_status: Annotated[
        Literal["pending", "accepted", "declined", "expired", "blocked"] | None,
        Query(alias="status"),
    ] = None,
    for_member: Annotated[UUID | None, Query(alias="for")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> ContactRequestPage:
    viewer = await viewer_of(uow, caller)
    member_id = for_member or person_id(caller)
    if not may_manage(viewer, member_id):
        raise Problem(403, "Forbidden", "You are not a delegate for that member.", "not-permitted")
    rows = await lists.contact_requests(
        uow.session,
        member_id=member_id,
        direction=direction,
        status=request_status,
        limit=limit,
        after=_request_cursor(cursor),
    )
    # Requests the member is blocked from seeing never exist: "blocked" is shown only outgoing
    # from the blocker's side as incoming history.
    names = await lists.names(
        uow.session, [r.requester_id for r in rows] + [r.recipient_id for r in rows]
    )
    next_cursor = None
    if len(rows) == limit:
        raw = json.dumps([rows[-1].created_at.isoformat(), str(rows[-1].id)]).encode()
        next_cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return ContactRequestPage(
        items=[_request_read(r, names) for r in rows], next_cursor=next_cursor
    )


@requests_router.post(
    "/{request_id}/decision", summary="Accept or decline a contact request you received"
)
async def decide_contact_request(
    request_id: UUID, body: Decision, uow: UnitOfWorkDep, caller: CurrentPrincipal
) -> ContactRequestRead:
    request = await run(
        handlers.decide_contact_request(
            commands.DecideContactRequest(request_id, body.decision == "accept", actor_of(caller)),
            uow,
        )
    )
    await uow.commit()
    names = await lists.names(uow.session, [request.requester_id, request.recipient_id])
    return _request_read(request, names)

"""Contact across boundaries: requests, decisions, blocks."""

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert

from contracts.events.directory import (
    ContactRequestAcceptedV1,
    ContactRequestDeclinedV1,
    ContactRequestMadeV1,
)
from services.chassis.database import UnitOfWork
from services.directory.adapters.orm import (
    Block,
    Connection,
    ContactRequest,
    Profile,
)
from services.directory.config import DirectorySettings
from services.directory.domain import commands
from services.directory.domain.errors import (
    Blocked,
    Conflict,
    InvalidChange,
    NotPermitted,
    ProfileNotFound,
    RateLimited,
    RequestNotFound,
)
from services.directory.handlers.authority import acting_for, is_delegate, is_listed
from services.directory.handlers.profile_changes import (
    record_activity,
)


async def send_contact_request(
    command: commands.SendContactRequest, uow: UnitOfWork, *, settings: DirectorySettings
) -> ContactRequest:
    session = uow.session
    requester, as_delegate = await acting_for(uow, command.requester_id, command.actor, lock=False)
    if command.recipient_id == requester.member_id:
        raise InvalidChange("You cannot send a contact request to yourself.")
    recipient = await session.get(Profile, command.recipient_id)
    if recipient is None or not is_listed(recipient):
        raise ProfileNotFound()
    pair = (requester.member_id, recipient.member_id)
    # One requester at a time, so two racing requests cannot both slip under the daily limit.
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"contact:{pair[0]}"}
    )
    if await session.get(Block, (pair[1], pair[0])) is not None:
        raise Blocked()
    if await session.get(Block, pair) is not None:
        raise Conflict("You have blocked this member. Unblock them first.")
    if await session.get(Connection, pair) is not None:
        raise Conflict("You are already connected.")
    now = datetime.now(UTC)
    await session.execute(
        update(ContactRequest)
        .where(
            ContactRequest.status == "pending",
            ContactRequest.expires_at <= now,
            or_(
                (ContactRequest.requester_id == pair[0]) & (ContactRequest.recipient_id == pair[1]),
                (ContactRequest.requester_id == pair[1]) & (ContactRequest.recipient_id == pair[0]),
            ),
        )
        .values(status="expired")
    )
    pending = await session.scalar(
        select(ContactRequest).where(
            ContactRequest.status == "pending",
            or_(
                (ContactRequest.requester_id == pair[0]) & (ContactRequest.recipient_id == pair[1]),
                (ContactRequest.requester_id == pair[1]) & (ContactRequest.recipient_id == pair[0]),
            ),
        )
    )
    if pending is not None:
        if pending.requester_id == pair[0]:
            raise Conflict("You already have a pending request to this member.")
        raise Conflict("This member has already asked to contact you: accept their request.")
    window_start = now - timedelta(days=1)
    made, oldest = (
        await session.execute(
            select(func.count(), func.min(ContactRequest.created_at)).where(
                ContactRequest.requester_id == pair[0], ContactRequest.created_at > window_start
            )
        )
    ).one()
    if made >= settings.contact_requests_per_day:
        retry = int((oldest + timedelta(days=1) - now).total_seconds()) + 1
        raise RateLimited(settings.contact_requests_per_day, max(retry, 1))
    request = ContactRequest(
        id=uuid.uuid4(),
        requester_id=pair[0],
        recipient_id=pair[1],
        reason=command.reason,
        status="pending",
        created_at=now,
        expires_at=now + timedelta(days=settings.contact_request_days),
        made_by=command.actor.member_id,
    )
    session.add(request)
    record_activity(
        uow,
        pair[0],
        command.actor,
        as_delegate,
        "contact_request.made",
        request_id=str(request.id),
        recipient_id=str(pair[1]),
    )
    await uow.publish(
        ContactRequestMadeV1(
            request_id=request.id,
            requester_id=pair[0],
            recipient_id=pair[1],
            reason=request.reason,
            made_by=command.actor.member_id,
            created_at=now,
            expires_at=request.expires_at,
        )
    )
    return request


async def decide_contact_request(
    command: commands.DecideContactRequest, uow: UnitOfWork
) -> ContactRequest:
    session = uow.session
    request = await session.get(ContactRequest, command.request_id, with_for_update=True)
    if request is None:
        raise RequestNotFound()
    actor = command.actor.member_id
    as_delegate = False
    if actor != request.recipient_id:
        as_delegate = await is_delegate(uow, principal_id=request.recipient_id, delegate_id=actor)
        if not as_delegate:
            if actor == request.requester_id:
                raise NotPermitted("Only the member you asked (or their delegate) can answer.")
            raise RequestNotFound()
    now = datetime.now(UTC)
    if request.status == "pending" and request.expires_at <= now:
        request.status = "expired"
    if request.status != "pending":
        raise Conflict(f"This request is already {request.status}.")
    request.status = "accepted" if command.accept else "declined"
    request.decided_at = now
    request.decided_by = actor
    record_activity(
        uow,
        request.recipient_id,
        command.actor,
        as_delegate,
        f"contact_request.{request.status}",
        request_id=str(request.id),
        requester_id=str(request.requester_id),
    )
    fields = {
        "request_id": request.id,
        "requester_id": request.requester_id,
        "recipient_id": request.recipient_id,
        "decided_by": actor,
        "decided_at": now,
    }
    if command.accept:
        await session.execute(
            insert(Connection)
            .values(
                [
                    {
                        "member_id": request.requester_id,
                        "other_id": request.recipient_id,
                        "request_id": request.id,
                        "created_at": now,
                    },
                    {
                        "member_id": request.recipient_id,
                        "other_id": request.requester_id,
                        "request_id": request.id,
                        "created_at": now,
                    },
                ]
            )
            .on_conflict_do_nothing()
        )
        await uow.publish(ContactRequestAcceptedV1(**fields))
    else:
        await uow.publish(ContactRequestDeclinedV1(**fields))
    return request


async def block_member(command: commands.BlockMember, uow: UnitOfWork) -> None:
    """The blocked member can no longer ask; any connection and pending request between the
    two end (silently: the blocked member is not told)."""
    blocker, as_delegate = await acting_for(uow, command.blocker_id, command.actor, lock=False)
    blocked = command.blocked_id
    if blocked == blocker.member_id:
        raise InvalidChange("You cannot block yourself.")
    if await uow.session.get(Profile, blocked) is None:
        raise ProfileNotFound()
    now = datetime.now(UTC)
    await uow.session.execute(
        insert(Block)
        .values(blocker_id=blocker.member_id, blocked_id=blocked, created_at=now)
        .on_conflict_do_nothing()
    )
    await uow.session.execute(
        delete(Connection).where(
            or_(
                (Connection.member_id == blocker.member_id) & (Connection.other_id == blocked),
                (Connection.member_id == blocked) & (Connection.other_id == blocker.member_id),
            )
        )
    )
    await uow.session.execute(
        update(ContactRequest)
        .where(
            ContactRequest.status == "pending",
            or_(
                (ContactRequest.requester_id == blocked)
                & (ContactRequest.recipient_id == blocker.member_id),
                (ContactRequest.requester_id == blocker.member_id)
                & (ContactRequest.recipient_id == blocked),
            ),
        )
        .values(status="blocked", decided_at=now, decided_by=command.actor.member_id)
    )
    record_activity(
        uow,
        blocker.member_id,
        command.actor,
        as_delegate,
        "member.blocked",
        blocked_id=str(blocked),
    )


async def unblock_member(command: commands.UnblockMember, uow: UnitOfWork) -> None:
    blocker, as_delegate = await acting_for(uow, command.blocker_id, command.actor, lock=False)
    removed = await uow.session.execute(
        delete(Block)
        .where(Block.blocker_id == blocker.member_id, Block.blocked_id == command.blocked_id)
        .returning(Block.blocked_id)
    )
    if removed.first() is not None:
        record_activity(
            uow,
            blocker.member_id,
            command.actor,
            as_delegate,
            "member.unblocked",
            blocked_id=str(command.blocked_id),
        )

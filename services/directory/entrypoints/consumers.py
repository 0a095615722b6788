"""Events the directory consumes, each mapped to a command. The chassis runs the inbox."""

from __future__ import annotations

from contracts import Envelope
from contracts.events.identity import MemberErasedV1, MemberInvitedV1
from services.chassis.consumer import Handler
from services.chassis.database import UnitOfWork
from services.directory import handlers
from services.directory.domain.commands import CreateDraftProfile, RemoveProfile


async def on_member_invited(uow: UnitOfWork, event: MemberInvitedV1, _: Envelope) -> None:
    await handlers.create_draft_profile(
        CreateDraftProfile(
            member_id=event.member_id, full_name=event.full_name, organisation=event.organisation
        ),
        uow,
    )


async def on_member_erased(uow: UnitOfWork, event: MemberErasedV1, _: Envelope) -> None:
    await handlers.remove_profile(RemoveProfile(member_id=event.member_id), uow)


EVENT_HANDLERS: dict[str, Handler] = {
    MemberInvitedV1.event_type: on_member_invited,
    MemberErasedV1.event_type: on_member_erased,
}

"""Directory's handlers. They change state and publish events; the caller commits."""

from __future__ import annotations

from contracts import Envelope
from contracts.events.identity import MemberInvitedV1
from services.chassis.database import UnitOfWork
from services.directory.adapters.orm import Profile
from services.directory.domain.model import ProfileStatus


async def create_draft_profile(uow: UnitOfWork, event: MemberInvitedV1, _: Envelope) -> None:
    """An invited member gets a draft profile holding what the invitation knew about them."""
    if await uow.session.get(Profile, event.member_id) is not None:
        return
    uow.session.add(
        Profile(
            member_id=event.member_id,
            full_name=event.full_name,
            organisation=event.organisation,
            status=ProfileStatus.DRAFT,
        )
    )


EVENT_HANDLERS = {MemberInvitedV1.event_type: create_draft_profile}

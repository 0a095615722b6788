"""Identity's command handlers. They change state and publish events; the caller commits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from contracts.events.identity import MemberInvitedV1
from services.chassis.database import UnitOfWork
from services.identity.adapters.orm import Invitation, Member
from services.identity.domain.commands import InviteMember
from services.identity.domain.errors import AlreadyInvited
from services.identity.domain.model import (
    InvitationStatus,
    MemberStatus,
    NewInvitation,
    issue_invitation,
    normalise_email,
)


async def invite_member(
    command: InviteMember, uow: UnitOfWork, *, valid_for: timedelta
) -> tuple[Invitation, NewInvitation]:
    """Create the member (status invited) and a single-use invitation; publish MemberInvited."""
    email = normalise_email(command.email)
    existing = await uow.session.scalar(select(func.count()).where(Member.email == email))
    if existing:
        raise AlreadyInvited(email)
    issued = issue_invitation(datetime.now(UTC), valid_for)
    uow.session.add(
        Member(
            id=issued.member_id,
            email=email,
            full_name=command.full_name,
            organisation=command.organisation,
            status=MemberStatus.INVITED,
        )
    )
    await uow.session.flush()  # the invitation's foreign key needs the member row first
    invitation = Invitation(
        id=issued.invitation_id,
        member_id=issued.member_id,
        email=email,
        token_hash=issued.token_hash,
        status=InvitationStatus.PENDING,
        invited_by=command.invited_by,
        created_at=issued.created_at,
        expires_at=issued.expires_at,
    )
    uow.session.add(invitation)
    await uow.session.flush()
    await uow.publish(
        MemberInvitedV1(
            member_id=issued.member_id,
            invitation_id=issued.invitation_id,
            full_name=command.full_name,
            email=email,
            organisation=command.organisation,
            invited_at=issued.created_at,
            expires_at=issued.expires_at,
        )
    )
    return invitation, issued

"""Invitations: the only way into Convene."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy import func, select, update

from services.chassis.database import UnitOfWork
from services.identity import events
from services.identity.adapters import mail_templates
from services.identity.adapters.audit_log import audit
from services.identity.adapters.orm import Invitation, Member
from services.identity.config import IdentitySettings
from services.identity.domain import commands
from services.identity.domain.allow_list import domain_of, is_public_sector
from services.identity.domain.errors import AlreadyInvited, DomainNotAllowed, InvitationNotFound
from services.identity.domain.model import (
    InvitationStatus,
    MemberStatus,
    Role,
    issue_invitation,
    normalise_email,
)


async def invite_member(
    command: commands.InviteMember, uow: UnitOfWork, *, settings: IdentitySettings
) -> Invitation:
    """Create (or re-invite) an invited member with a single-use invitation link, emailed.

    Re-inviting is allowed while the member has never signed in; it revokes older links.
    """
    now = datetime.now(UTC)
    email = normalise_email(command.email)
    if not is_public_sector(email):
        if not command.override_reason:
            raise DomainNotAllowed(domain_of(email))
        audit(
            uow,
            command.invited_by,
            "invitation.domain_override",
            None,
            email_domain=domain_of(email),
            reason=command.override_reason,
        )
    member = await uow.session.scalar(select(Member).where(Member.email == email).with_for_update())
    if member is not None and member.status != MemberStatus.INVITED:
        raise AlreadyInvited(email)
    if member is not None and await _has_live_invitation(uow, member.id, now):
        raise AlreadyInvited(email)
    if member is None:
        member = Member(
            id=uuid.uuid4(),
            email=email,
            full_name=command.full_name,
            organisation=command.organisation,
            status=MemberStatus.INVITED,
            roles=[Role.MEMBER],
        )
        uow.session.add(member)
        await uow.session.flush()
    else:
        member.full_name, member.organisation = command.full_name, command.organisation
        await uow.session.execute(
            update(Invitation)
            .where(Invitation.member_id == member.id, Invitation.status == InvitationStatus.PENDING)
            .values(status=InvitationStatus.REVOKED, revoked_at=now)
        )
    issued = issue_invitation(now, timedelta(days=settings.invitation_valid_days))
    invitation = Invitation(
        id=issued.invitation_id,
        member_id=member.id,
        email=email,
        token_hash=issued.token_hash,
        status=InvitationStatus.PENDING,
        invited_by=command.invited_by,
        created_at=issued.created_at,
        expires_at=issued.expires_at,
    )
    uow.session.add(invitation)
    audit(
        uow, command.invited_by, "invitation.created", member.id, invitation_id=str(invitation.id)
    )
    await mail_templates.send_invitation(
        uow.session,
        to=email,
        full_name=command.full_name,
        link=f"{settings.public_base_url}/sign-in/confirm?token={issued.token}",
        expires_at=issued.expires_at,
    )
    await uow.publish(events.member_invited(member, invitation))
    return invitation


async def _has_live_invitation(uow: UnitOfWork, member_id: UUID, now: datetime) -> bool:
    count = await uow.session.scalar(
        select(func.count()).where(
            Invitation.member_id == member_id,
            Invitation.status == InvitationStatus.PENDING,
            Invitation.expires_at > now,
        )
    )
    return bool(count)


async def revoke_invitation(command: commands.RevokeInvitation, uow: UnitOfWork) -> Invitation:
    invitation = await uow.session.get(Invitation, command.invitation_id, with_for_update=True)
    if invitation is None or invitation.status != InvitationStatus.PENDING:
        raise InvitationNotFound()
    invitation.status, invitation.revoked_at = InvitationStatus.REVOKED, datetime.now(UTC)
    audit(
        uow,
        command.actor,
        "invitation.revoked",
        invitation.member_id,
        invitation_id=str(invitation.id),
    )
    return invitation

"""Identity's command handlers. They change state, audit, publish events; the caller commits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import delete, func, select, update

from contracts.events.identity import (
    MemberActivatedV1,
    MemberDeactivatedV1,
    MemberErasedV1,
    MemberInvitedV1,
    MemberRoleChangedV1,
)
from services.chassis.database import UnitOfWork
from services.identity import notifications
from services.identity.adapters.orm import (
    AuditEntry,
    CohortMembership,
    Invitation,
    Member,
    RefreshToken,
    SignInRequest,
    SignInToken,
)
from services.identity.config import IdentitySettings
from services.identity.domain import commands
from services.identity.domain.allow_list import domain_of, is_public_sector
from services.identity.domain.errors import (
    AlreadyInvited,
    DomainNotAllowed,
    InvitationNotFound,
    LinkNotValid,
    MemberNotFound,
    NotAllowed,
    RateLimited,
    RefreshNotValid,
)
from services.identity.domain.model import (
    PERSON_ROLES,
    InvitationStatus,
    MemberStatus,
    Role,
    hash_secret,
    issue_invitation,
    new_secret,
    normalise_email,
)
from services.identity.signing import TokenIssuer


@dataclass(frozen=True)
class TokenPair:
    member_id: UUID
    access_token: str
    expires_in: int
    refresh_token: str
    refresh_expires_at: datetime


def now() -> datetime:
    return datetime.now(UTC)


def audit(uow: UnitOfWork, actor: str, action: str, member_id: UUID | None, **details: Any) -> None:
    uow.session.add(AuditEntry(actor=actor, action=action, member_id=member_id, details=details))


# -- invitations ---------------------------------------------------------------------------


async def invite_member(
    command: commands.InviteMember, uow: UnitOfWork, settings: IdentitySettings
) -> Invitation:
    """Create (or re-invite) an invited member with a single-use invitation link, emailed.

    Re-inviting is allowed while the member has never signed in; it revokes older links.
    """
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
    if member is not None and await _has_live_invitation(uow, member.id):
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
            .values(status=InvitationStatus.REVOKED, revoked_at=now())
        )
    issued = issue_invitation(now(), timedelta(days=settings.invitation_valid_days))
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
    await notifications.send_invitation(
        uow.session,
        to=email,
        full_name=command.full_name,
        link=f"{settings.public_base_url}/sign-in/confirm?token={issued.token}",
        expires_at=issued.expires_at,
    )
    await uow.publish(
        MemberInvitedV1(
            member_id=member.id,
            invitation_id=invitation.id,
            full_name=command.full_name,
            email=email,
            organisation=command.organisation,
            invited_at=issued.created_at,
            expires_at=issued.expires_at,
        )
    )
    return invitation


async def _has_live_invitation(uow: UnitOfWork, member_id: UUID) -> bool:
    count = await uow.session.scalar(
        select(func.count()).where(
            Invitation.member_id == member_id,
            Invitation.status == InvitationStatus.PENDING,
            Invitation.expires_at > now(),
        )
    )
    return bool(count)


async def revoke_invitation(command: commands.RevokeInvitation, uow: UnitOfWork) -> Invitation:
    invitation = await uow.session.get(Invitation, command.invitation_id, with_for_update=True)
    if invitation is None or invitation.status != InvitationStatus.PENDING:
        raise InvitationNotFound()
    invitation.status, invitation.revoked_at = InvitationStatus.REVOKED, now()
    audit(
        uow,
        command.actor,
        "invitation.revoked",
        invitation.member_id,
        invitation_id=str(invitation.id),
    )
    return invitation


# -- sign-in -------------------------------------------------------------------------------


async def request_sign_in_link(
    command: commands.RequestSignInLink, uow: UnitOfWork, settings: IdentitySettings
) -> None:
    """Email a one-time link to an active member. Says nothing about whether one exists:
    the caller answers the same either way. Raises RateLimited for too many requests."""
    email = normalise_email(command.email)
    email_hash = hash_secret(email)
    window_start = now() - timedelta(minutes=settings.sign_in_limit_window_minutes)
    by_email = await uow.session.scalar(
        select(func.count()).where(
            SignInRequest.email_hash == email_hash, SignInRequest.created_at > window_start
        )
    )
    by_ip = await uow.session.scalar(
        select(func.count()).where(
            SignInRequest.client_ip == command.client_ip, SignInRequest.created_at > window_start
        )
    )
    if (by_email or 0) >= settings.sign_in_limit_per_email or (
        by_ip or 0
    ) >= settings.sign_in_limit_per_ip:
        raise RateLimited(settings.sign_in_limit_window_minutes * 60)
    uow.session.add(SignInRequest(email_hash=email_hash, client_ip=command.client_ip))
    member = await uow.session.scalar(select(Member).where(Member.email == email))
    if member is None or member.status != MemberStatus.ACTIVE:
        return
    token = new_secret()
    uow.session.add(
        SignInToken(
            id=uuid.uuid4(),
            member_id=member.id,
            token_hash=hash_secret(token),
            created_at=now(),
            expires_at=now() + timedelta(minutes=settings.sign_in_link_minutes),
        )
    )
    await notifications.send_sign_in_link(
        uow.session,
        to=email,
        full_name=member.full_name or "",
        link=f"{settings.public_base_url}/sign-in/confirm?token={token}",
        minutes=settings.sign_in_link_minutes,
    )


async def redeem_link(
    command: commands.RedeemLink, uow: UnitOfWork, issuer: TokenIssuer
) -> TokenPair:
    """Exchange a sign-in or invitation link for tokens. A first sign-in activates the member."""
    token_hash = hash_secret(command.token)
    sign_in = await uow.session.scalar(
        select(SignInToken).where(SignInToken.token_hash == token_hash).with_for_update()
    )
    if sign_in is not None:
        if sign_in.used_at is not None or sign_in.expires_at <= now():
            raise LinkNotValid()
        sign_in.used_at = now()
        member = await uow.session.get(Member, sign_in.member_id, with_for_update=True)
        if member is None or member.status != MemberStatus.ACTIVE:
            raise LinkNotValid()
        audit(uow, str(member.id), "member.signed_in", member.id, method="email_link")
        return await _start_session(uow, issuer, member)
    invitation = await uow.session.scalar(
        select(Invitation).where(Invitation.token_hash == token_hash).with_for_update()
    )
    if (
        invitation is None
        or invitation.status != InvitationStatus.PENDING
        or invitation.expires_at <= now()
    ):
        raise LinkNotValid()
    member = await uow.session.get(Member, invitation.member_id, with_for_update=True)
    if member is None or member.status != MemberStatus.INVITED:
        raise LinkNotValid()
    invitation.status, invitation.redeemed_at = InvitationStatus.REDEEMED, now()
    await _activate(uow, member, how={"invitation_id": str(invitation.id)})
    return await _start_session(uow, issuer, member)


async def _activate(uow: UnitOfWork, member: Member, how: dict[str, str]) -> None:
    member.status, member.activated_at = MemberStatus.ACTIVE, now()
    audit(uow, str(member.id), "member.activated", member.id, **how)
    await uow.publish(
        MemberActivatedV1(
            member_id=member.id,
            full_name=member.full_name or "",
            email=member.email or "",
            organisation=member.organisation or "",
            roles=sorted(member.roles),
            activated_at=member.activated_at,
        )
    )


async def sign_in_with_verified_email(
    command: commands.SignInWithVerifiedEmail, uow: UnitOfWork, issuer: TokenIssuer
) -> TokenPair:
    """Sign in a member whose address an identity provider verified.

    Membership is still by invitation only: an invited member with a live invitation is
    activated (the invitation is redeemed); an active member is signed in; anyone else is
    refused with the same LinkNotValid as a bad link.
    """
    email = normalise_email(command.email)
    member = await uow.session.scalar(select(Member).where(Member.email == email).with_for_update())
    if member is None:
        raise LinkNotValid()
    if member.status == MemberStatus.INVITED:
        invitation = await uow.session.scalar(
            select(Invitation)
            .where(
                Invitation.member_id == member.id,
                Invitation.status == InvitationStatus.PENDING,
                Invitation.expires_at > now(),
            )
            .with_for_update()
        )
        if invitation is None:
            raise LinkNotValid()
        invitation.status, invitation.redeemed_at = InvitationStatus.REDEEMED, now()
        how = {"invitation_id": str(invitation.id), "provider": command.provider}
        await _activate(uow, member, how=how)
    elif member.status != MemberStatus.ACTIVE:
        raise LinkNotValid()
    else:
        audit(uow, str(member.id), "member.signed_in", member.id, method=command.provider)
    return await _start_session(uow, issuer, member)


async def _start_session(
    uow: UnitOfWork, issuer: TokenIssuer, member: Member, family_id: UUID | None = None
) -> TokenPair:
    refresh = new_secret()
    expires_at = now() + issuer.refresh_lifetime
    uow.session.add(
        RefreshToken(
            id=uuid.uuid4(),
            family_id=family_id or uuid.uuid4(),
            member_id=member.id,
            token_hash=hash_secret(refresh),
            created_at=now(),
            expires_at=expires_at,
        )
    )
    return TokenPair(
        member_id=member.id,
        access_token=await issuer.access_token(str(member.id), member.roles),
        expires_in=issuer.access_lifetime_seconds,
        refresh_token=refresh,
        refresh_expires_at=expires_at,
    )


async def refresh_session(
    command: commands.RefreshSession, uow: UnitOfWork, issuer: TokenIssuer
) -> TokenPair:
    """Rotate: the presented refresh token is spent and a new one issued in its family.

    Presenting a spent one means it was stolen or replayed: the whole family is revoked, so
    neither the thief nor the member can go on without signing in again. The caller must
    commit even when this raises, so that the revocation sticks.
    """
    current = await uow.session.scalar(
        select(RefreshToken)
        .where(RefreshToken.token_hash == hash_secret(command.refresh_token))
        .with_for_update()
    )
    if current is None or current.revoked_at is not None or current.expires_at <= now():
        raise RefreshNotValid()
    if current.used_at is not None:
        await _revoke_family(uow, current.family_id)
        audit(
            uow,
            str(current.member_id),
            "session.refresh_reuse_detected",
            current.member_id,
            family_id=str(current.family_id),
        )
        raise RefreshNotValid("This session was ended because its refresh token was reused.")
    member = await uow.session.get(Member, current.member_id)
    if member is None or member.status != MemberStatus.ACTIVE:
        raise RefreshNotValid()
    current.used_at = now()
    return await _start_session(uow, issuer, member, family_id=current.family_id)


async def sign_out(command: commands.SignOut, uow: UnitOfWork) -> None:
    current = await uow.session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == hash_secret(command.refresh_token))
    )
    if current is not None:
        await _revoke_family(uow, current.family_id)
        audit(uow, str(current.member_id), "session.signed_out", current.member_id)


async def _revoke_family(uow: UnitOfWork, family_id: UUID) -> None:
    await uow.session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now())
    )


async def _revoke_all_sessions(uow: UnitOfWork, member_id: UUID) -> None:
    await uow.session.execute(
        update(RefreshToken)
        .where(RefreshToken.member_id == member_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now())
    )


# -- administration ------------------------------------------------------------------------


async def _member_for_update(uow: UnitOfWork, member_id: UUID) -> Member:
    member = await uow.session.get(Member, member_id, with_for_update=True)
    if member is None:
        raise MemberNotFound()
    return member


async def change_roles(command: commands.ChangeRoles, uow: UnitOfWork) -> Member:
    unknown = set(command.roles) - {str(role) for role in PERSON_ROLES}
    if unknown:
        raise NotAllowed(f"Unknown or non-person roles: {', '.join(sorted(unknown))}.")
    member = await _member_for_update(uow, command.member_id)
    if member.status in (MemberStatus.ERASED, MemberStatus.DEACTIVATED):
        raise NotAllowed(f"The member is {member.status}; their roles cannot change.")
    roles = sorted(set(command.roles) | {Role.MEMBER})
    if roles == sorted(member.roles):
        return member
    previous = sorted(member.roles)
    member.roles = roles
    audit(uow, command.actor, "member.roles_changed", member.id, before=previous, after=roles)
    await uow.publish(
        MemberRoleChangedV1(
            member_id=member.id, roles=roles, changed_by=command.actor, changed_at=now()
        )
    )
    return member


async def deactivate_member(command: commands.DeactivateMember, uow: UnitOfWork) -> Member:
    member = await _member_for_update(uow, command.member_id)
    if member.status == MemberStatus.ERASED:
        raise NotAllowed("The member was erased.")
    if member.status == MemberStatus.DEACTIVATED:
        return member
    member.status, member.deactivated_at = MemberStatus.DEACTIVATED, now()
    await _revoke_all_sessions(uow, member.id)
    audit(uow, command.actor, "member.deactivated", member.id)
    await uow.publish(
        MemberDeactivatedV1(member_id=member.id, deactivated_by=command.actor, deactivated_at=now())
    )
    return member


async def erase_member(command: commands.EraseMember, uow: UnitOfWork) -> Member:
    """Remove the person: personal data here goes now; MemberErased tells every service.

    The member row stays, emptied, so the id is never reused and the audit trail still
    resolves; the audit log itself holds ids and actions, never names or addresses.
    """
    member = await _member_for_update(uow, command.member_id)
    if member.status == MemberStatus.ERASED:
        return member
    member.email = member.full_name = member.organisation = None
    member.status, member.erased_at, member.roles = MemberStatus.ERASED, now(), []
    await uow.session.execute(
        update(Invitation).where(Invitation.member_id == member.id).values(email=None)
    )
    await _revoke_all_sessions(uow, member.id)
    await uow.session.execute(delete(SignInToken).where(SignInToken.member_id == member.id))
    await uow.session.execute(
        delete(CohortMembership).where(CohortMembership.member_id == member.id)
    )
    audit(uow, command.actor, "member.erased", member.id)
    await uow.publish(MemberErasedV1(member_id=member.id, erased_at=now()))
    return member

"""Sign-in and sessions: one-time links, sign-in through a provider, refresh and sign-out."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy import func, select, update

from services.chassis.database import UnitOfWork
from services.identity import events
from services.identity.adapters import mail_templates
from services.identity.adapters.audit_log import audit
from services.identity.adapters.orm import (
    Invitation,
    Member,
    RefreshToken,
    SignInRequest,
    SignInToken,
)
from services.identity.adapters.signing_keys import TokenIssuer
from services.identity.config import IdentitySettings
from services.identity.domain import commands
from services.identity.domain.errors import LinkNotValid, RateLimited, RefreshNotValid
from services.identity.domain.model import (
    InvitationStatus,
    MemberStatus,
    hash_secret,
    new_secret,
    normalise_email,
)


@dataclass(frozen=True)
class TokenPair:
    member_id: UUID
    access_token: str
    expires_in: int
    refresh_token: str
    refresh_expires_at: datetime


async def request_sign_in_link(
    command: commands.RequestSignInLink, uow: UnitOfWork, *, settings: IdentitySettings
) -> None:
    """Email a one-time link to an active member. Says nothing about whether one exists:
    the caller answers the same either way. Raises RateLimited for too many requests."""
    now = datetime.now(UTC)
    email = normalise_email(command.email)
    email_hash = hash_secret(email)
    window_start = now - timedelta(minutes=settings.sign_in_limit_window_minutes)
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
            created_at=now,
            expires_at=now + timedelta(minutes=settings.sign_in_link_minutes),
        )
    )
    await mail_templates.send_sign_in_link(
        uow.session,
        to=email,
        full_name=member.full_name or "",
        link=f"{settings.public_base_url}/sign-in/confirm?token={token}",
        minutes=settings.sign_in_link_minutes,
    )


async def redeem_link(
    command: commands.RedeemLink, uow: UnitOfWork, *, issuer: TokenIssuer
) -> TokenPair:
    """Exchange a sign-in or invitation link for tokens. A first sign-in activates the member."""
    now = datetime.now(UTC)
    token_hash = hash_secret(command.token)
    sign_in = await uow.session.scalar(
        select(SignInToken).where(SignInToken.token_hash == token_hash).with_for_update()
    )
    if sign_in is not None:
        if sign_in.used_at is not None or sign_in.expires_at <= now:
            raise LinkNotValid()
        sign_in.used_at = now
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
        or invitation.expires_at <= now
    ):
        raise LinkNotValid()
    member = await uow.session.get(Member, invitation.member_id, with_for_update=True)
    if member is None or member.status != MemberStatus.INVITED:
        raise LinkNotValid()
    invitation.status, invitation.redeemed_at = InvitationStatus.REDEEMED, now
    await _activate(uow, member, now, how={"invitation_id": str(invitation.id)})
    return await _start_session(uow, issuer, member)


async def sign_in_with_verified_email(
    command: commands.SignInWithVerifiedEmail, uow: UnitOfWork, *, issuer: TokenIssuer
) -> TokenPair:
    """Sign in a member whose address an identity provider verified.

    Membership is still by invitation only: an invited member with a live invitation is
    activated (the invitation is redeemed); an active member is signed in; anyone else is
    refused with the same LinkNotValid as a bad link.
    """
    now = datetime.now(UTC)
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
                Invitation.expires_at > now,
            )
            .with_for_update()
        )
        if invitation is None:
            raise LinkNotValid()
        invitation.status, invitation.redeemed_at = InvitationStatus.REDEEMED, now
        how = {"invitation_id": str(invitation.id), "provider": command.provider}
        await _activate(uow, member, now, how=how)
    elif member.status != MemberStatus.ACTIVE:
        raise LinkNotValid()
    else:
        audit(uow, str(member.id), "member.signed_in", member.id, method=command.provider)
    return await _start_session(uow, issuer, member)


async def _activate(uow: UnitOfWork, member: Member, now: datetime, how: dict[str, str]) -> None:
    member.status, member.activated_at = MemberStatus.ACTIVE, now
    audit(uow, str(member.id), "member.activated", member.id, **how)
    await uow.publish(events.member_activated(member, at=now))


async def _start_session(
    uow: UnitOfWork, issuer: TokenIssuer, member: Member, family_id: UUID | None = None
) -> TokenPair:
    now = datetime.now(UTC)
    refresh = new_secret()
    expires_at = now + issuer.refresh_lifetime
    uow.session.add(
        RefreshToken(
            id=uuid.uuid4(),
            family_id=family_id or uuid.uuid4(),
            member_id=member.id,
            token_hash=hash_secret(refresh),
            created_at=now,
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
    command: commands.RefreshSession, uow: UnitOfWork, *, issuer: TokenIssuer
) -> TokenPair:
    """Rotate: the presented refresh token is spent and a new one issued in its family.

    Presenting a spent one means it was stolen or replayed: the whole family is revoked, so
    neither the thief nor the member can go on without signing in again. The caller must
    commit even when this raises, so that the revocation sticks.
    """
    now = datetime.now(UTC)
    current = await uow.session.scalar(
        select(RefreshToken)
        .where(RefreshToken.token_hash == hash_secret(command.refresh_token))
        .with_for_update()
    )
    if current is None or current.revoked_at is not None or current.expires_at <= now:
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
    current.used_at = now
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
        .values(revoked_at=datetime.now(UTC))
    )

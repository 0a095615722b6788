"""Administering members: roles, deactivation and erasure (UK GDPR)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import delete, update

from services.chassis.database import UnitOfWork
from services.identity import events
from services.identity.adapters.audit_log import audit
from services.identity.adapters.orm import (
    CohortMembership,
    Invitation,
    Member,
    RefreshToken,
    SignInToken,
)
from services.identity.domain import commands
from services.identity.domain.errors import MemberNotFound, NotAllowed
from services.identity.domain.model import PERSON_ROLES, MemberStatus, Role


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
    await uow.publish(events.member_role_changed(member, by=command.actor, at=datetime.now(UTC)))
    return member


async def deactivate_member(command: commands.DeactivateMember, uow: UnitOfWork) -> Member:
    member = await _member_for_update(uow, command.member_id)
    if member.status == MemberStatus.ERASED:
        raise NotAllowed("The member was erased.")
    if member.status == MemberStatus.DEACTIVATED:
        return member
    now = datetime.now(UTC)
    member.status, member.deactivated_at = MemberStatus.DEACTIVATED, now
    await _revoke_all_sessions(uow, member.id, now)
    audit(uow, command.actor, "member.deactivated", member.id)
    await uow.publish(events.member_deactivated(member, by=command.actor, at=now))
    return member


async def erase_member(command: commands.EraseMember, uow: UnitOfWork) -> Member:
    """Remove the person: personal data here goes now; MemberErased tells every service.

    The member row stays, emptied, so the id is never reused and the audit trail still
    resolves; the audit log itself holds ids and actions, never names or addresses.
    """
    member = await _member_for_update(uow, command.member_id)
    if member.status == MemberStatus.ERASED:
        return member
    now = datetime.now(UTC)
    member.email = member.full_name = member.organisation = None
    member.status, member.erased_at, member.roles = MemberStatus.ERASED, now, []
    await uow.session.execute(
        update(Invitation).where(Invitation.member_id == member.id).values(email=None)
    )
    await _revoke_all_sessions(uow, member.id, now)
    await uow.session.execute(delete(SignInToken).where(SignInToken.member_id == member.id))
    await uow.session.execute(
        delete(CohortMembership).where(CohortMembership.member_id == member.id)
    )
    audit(uow, command.actor, "member.erased", member.id)
    await uow.publish(events.member_erased(member, at=now))
    return member


async def _revoke_all_sessions(uow: UnitOfWork, member_id: UUID, now: datetime) -> None:
    await uow.session.execute(
        update(RefreshToken)
        .where(RefreshToken.member_id == member_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )

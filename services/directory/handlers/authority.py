"""Who may act on a profile: its member, or a delegate they named."""

from uuid import UUID

from sqlalchemy import select

from services.chassis.database import UnitOfWork
from services.directory.adapters.orm import (
    Delegate,
    Profile,
)
from services.directory.domain import commands
from services.directory.domain.errors import (
    NotPermitted,
    ProfileNotFound,
)
from services.directory.domain.model import (
    ProfileStatus,
)


async def acting_for(
    uow: UnitOfWork, member_id: UUID, actor: commands.Actor, *, lock: bool = True
) -> tuple[Profile, bool]:
    """The profile `actor` may act on, and whether they act as its member's delegate.

    Raises ProfileNotFound when there is no such profile (or the actor may not know of it),
    NotPermitted when they may see it but not act for its member.
    """
    query = select(Profile).where(Profile.member_id == member_id)
    if lock:
        query = query.with_for_update()
    profile = await uow.session.scalar(query)
    if profile is None:
        raise ProfileNotFound()
    if actor.member_id == member_id:
        return profile, False
    if await is_delegate(uow, principal_id=member_id, delegate_id=actor.member_id):
        return profile, True
    if profile.status != ProfileStatus.PUBLISHED or not profile.active:
        raise ProfileNotFound()
    raise NotPermitted("Only the member, or a delegate they have named, may do this.")


async def is_delegate(uow: UnitOfWork, *, principal_id: UUID, delegate_id: UUID) -> bool:
    found = await uow.session.get(Delegate, (principal_id, delegate_id))
    return found is not None


def is_listed(profile: Profile) -> bool:
    return profile.status == ProfileStatus.PUBLISHED and profile.active

"""Timed upkeep: flag stale profiles (nudging owners), expire old contact requests."""

from sqlalchemy import update

from services.chassis.database import UnitOfWork
from services.directory.adapters.orm import (
    ContactRequest,
    Notice,
    Profile,
)
from services.directory.domain import commands
from services.directory.domain.model import (
    STALE_AFTER,
    ProfileStatus,
)

STALE_MESSAGE = (
    "Your profile has not been confirmed for 12 months. Check it is still right and press "
    "'Confirm', so others can trust it."
)


async def flag_stale_profiles(command: commands.FlagStaleProfiles, uow: UnitOfWork) -> int:
    """Flag each newly stale listed profile once and leave its owner a notice; returns how many."""
    flagged = (
        await uow.session.scalars(
            update(Profile)
            .where(
                Profile.status == ProfileStatus.PUBLISHED,
                Profile.active.is_(True),
                Profile.confirmed_at < command.now - STALE_AFTER,
                Profile.stale_since.is_(None),
            )
            .values(stale_since=command.now)
            .returning(Profile.member_id)
        )
    ).all()
    for member_id in flagged:
        uow.session.add(
            Notice(member_id=member_id, kind="stale", message=STALE_MESSAGE, created_at=command.now)
        )
    return len(flagged)


async def expire_contact_requests(command: commands.ExpireContactRequests, uow: UnitOfWork) -> int:
    result = await uow.session.execute(
        update(ContactRequest)
        .where(ContactRequest.status == "pending", ContactRequest.expires_at <= command.now)
        .values(status="expired")
        .returning(ContactRequest.id)
    )
    return len(result.all())

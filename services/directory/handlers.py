"""Directory's command handlers. They change state and publish events; the caller commits."""

from __future__ import annotations

from sqlalchemy import delete

from services.chassis.database import UnitOfWork
from services.directory.adapters.orm import Profile
from services.directory.domain.commands import CreateDraftProfile, RemoveProfile
from services.directory.domain.model import ProfileStatus


async def create_draft_profile(command: CreateDraftProfile, uow: UnitOfWork) -> None:
    """A draft holding what the invitation knew; a second request for the same member is a no-op."""
    if await uow.session.get(Profile, command.member_id) is not None:
        return
    uow.session.add(
        Profile(
            member_id=command.member_id,
            full_name=command.full_name,
            organisation=command.organisation,
            status=ProfileStatus.DRAFT,
        )
    )


async def remove_profile(command: RemoveProfile, uow: UnitOfWork) -> None:
    await uow.session.execute(delete(Profile).where(Profile.member_id == command.member_id))

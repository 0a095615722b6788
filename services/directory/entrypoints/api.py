"""Directory's HTTP routes."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from services.chassis.auth import CurrentPrincipal
from services.chassis.problems import Problem
from services.chassis.runtime import UnitOfWorkDep
from services.directory.adapters.orm import Profile
from services.directory.domain.model import ProfileStatus
from services.directory.schemas import ProfileRead

profiles_router = APIRouter(prefix="/profiles", tags=["profiles"])


@profiles_router.get("/{member_id}", summary="A member's profile")
async def read_profile(
    member_id: UUID, uow: UnitOfWorkDep, caller: CurrentPrincipal
) -> ProfileRead:
    profile = await uow.session.get(Profile, member_id)
    # A draft is private to its member and programme admins: to anyone else it does not exist.
    visible = profile is not None and (
        profile.status == ProfileStatus.PUBLISHED
        or caller.subject == str(member_id)
        or caller.has_role("programme_admin")
    )
    if not visible:
        raise Problem(404, "Not found", "There is no profile with that id.", "profile-not-found")
    return ProfileRead.model_validate(profile)

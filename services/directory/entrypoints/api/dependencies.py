"""What the directory's routes share: settings, the caller as a person, the viewer, the profile
a path names, and the answer a route gives with one whole profile."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import Depends

from services.chassis.auth import member_id_of, require_role
from services.chassis.problems import Problem
from services.chassis.runtime import UnitOfWorkDep, settings_dependency
from services.chassis.tokens import Principal
from services.directory.config import DirectorySettings
from services.directory.domain import commands
from services.directory.domain.model import Viewer
from services.directory.schemas import ProfileRead
from services.directory.views import profiles, tags, viewers

SettingsDep = Annotated[DirectorySettings, Depends(settings_dependency(DirectorySettings))]

ProgrammeAdmin = Annotated[Principal, Depends(require_role("programme_admin"))]

#: People, as opposed to service accounts (department_subscriber), which get public events only.
PERSON_ROLES = ("member", "curator", "programme_admin")


def ensure_person(principal: Principal) -> None:
    """403 `not-a-member` for a caller holding none of the PERSON_ROLES."""
    if not principal.has_role(*PERSON_ROLES):
        raise Problem(403, "Forbidden", "The directory is for Convene members.", "not-a-member")


def person_id(principal: Principal) -> UUID:
    """The member id of a caller who is a person (`member_id_of`, after the role check)."""
    ensure_person(principal)
    return member_id_of(principal)


async def viewer_of(uow: UnitOfWorkDep, principal: Principal) -> Viewer:
    ensure_person(principal)
    return await viewers.load_viewer(uow.session, principal)


def actor_of(principal: Principal) -> commands.Actor:
    return commands.Actor(
        member_id=person_id(principal), is_admin=principal.has_role(viewers.ADMIN_ROLE)
    )


def resolve(ref: str, principal: Principal) -> UUID:
    """`me` or a member id."""
    if ref == "me":
        return person_id(principal)
    try:
        return UUID(ref)
    except ValueError as exc:
        raise Problem(
            422,
            "Invalid request",
            "A profile is named by a member id (a UUID) or `me`.",
            "invalid-request",
            errors=[{"location": ["path", "member"], "message": "not a UUID", "type": "uuid"}],
        ) from exc


def may_manage(viewer: Viewer, member_id: UUID) -> bool:
    return viewer.member_id == str(member_id) or str(member_id) in viewer.principals


async def manager_or_admin(
    uow: UnitOfWorkDep, caller: Principal, member: str, *, admin_ok: bool
) -> tuple[UUID, Viewer]:
    member_id = resolve(member, caller)
    viewer = await viewer_of(uow, caller)
    if not (may_manage(viewer, member_id) or (admin_ok and viewer.is_admin)):
        raise Problem(
            403, "Forbidden", "Only the member or their delegate may see this.", "not-permitted"
        )
    return member_id, viewer


async def profile_read(uow: UnitOfWorkDep, member_id: UUID, viewer: Viewer) -> ProfileRead:
    loaded = await profiles.load_profiles(uow.session, [member_id])
    if not loaded or not profiles.listed_to(loaded[0].profile, viewer):
        raise Problem(404, "Not found", "There is no profile with that id.", "profile-not-found")
    body = profiles.project_profile(
        loaded[0].profile,
        viewer,
        cohorts=loaded[0].cohorts,
        organisation=loaded[0].organisation,
        labels=await tags.tag_labels(uow.session),
        now=datetime.now(UTC),
    )
    return ProfileRead.model_validate(body)

"""One profile: reading it; its owner (or a delegate) changing, publishing and confirming it;
the owner's lists (viewers, activity, notices); reporting it as out of date."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from services.chassis.auth import CurrentPrincipal
from services.chassis.runtime import UnitOfWorkDep
from services.chassis.tokens import Principal
from services.directory.domain import commands
from services.directory.entrypoints.api.dependencies import (
    actor_of,
    manager_or_admin,
    may_manage,
    person_id,
    profile_read,
    resolve,
    viewer_of,
)
from services.directory.entrypoints.api.paging import int_cursor, view_page
from services.directory.entrypoints.api.problems import run
from services.directory.handlers import moderation
from services.directory.handlers import profiles as handlers
from services.directory.schemas import (
    ActivityPage,
    ActivityRead,
    NoticeRead,
    ProfileRead,
    ProfileUpdate,
    ReportCreate,
    ReportRead,
    ViewPage,
)
from services.directory.views import lists

router = APIRouter(prefix="/profiles", tags=["profiles"])


@router.get("/{member}", summary="A profile (`me` for your own)")
async def read_profile(member: str, uow: UnitOfWorkDep, caller: CurrentPrincipal) -> ProfileRead:
    member_id = resolve(member, caller)
    viewer = await viewer_of(uow, caller)
    body = await profile_read(uow, member_id, viewer)
    if viewer.member_id is not None and not may_manage(viewer, member_id):
        try:
            viewer_id = UUID(viewer.member_id)
        except ValueError:
            viewer_id = None
        if viewer_id is not None:
            await moderation.record_profile_view(
                commands.RecordProfileView(
                    profile_id=member_id, viewer_id=viewer_id, viewer_is_admin=viewer.is_admin
                ),
                uow,
            )
            await uow.commit()
    return body


@router.patch("/{member}", summary="Change your profile (or your principal's)")
async def update_profile(
    member: str, body: ProfileUpdate, uow: UnitOfWorkDep, caller: CurrentPrincipal
) -> ProfileRead:
    member_id = resolve(member, caller)
    changes = body.model_dump(exclude_unset=True, mode="json")
    if "organisation_id" in changes and changes["organisation_id"] is not None:
        changes["organisation_id"] = UUID(changes["organisation_id"])
    await run(
        handlers.update_profile(
            commands.UpdateProfile(member_id=member_id, actor=actor_of(caller), changes=changes),
            uow,
        )
    )
    await uow.commit()
    return await profile_read(uow, member_id, await viewer_of(uow, caller))


async def _owner_action(
    member: str, uow: UnitOfWorkDep, caller: Principal, action: str
) -> ProfileRead:
    member_id = resolve(member, caller)
    actor = actor_of(caller)
    if action == "publish":
        await run(handlers.publish_profile(commands.PublishProfile(member_id, actor), uow))
    elif action == "unpublish":
        await run(handlers.unpublish_profile(commands.UnpublishProfile(member_id, actor), uow))
    else:
        await run(handlers.confirm_profile(commands.ConfirmProfile(member_id, actor), uow))
    await uow.commit()
    return await profile_read(uow, member_id, await viewer_of(uow, caller))


@router.post("/{member}/publish", summary="List the profile in the directory")
async def publish_profile(member: str, uow: UnitOfWorkDep, caller: CurrentPrincipal) -> ProfileRead:
    return await _owner_action(member, uow, caller, "publish")


@router.post("/{member}/unpublish", summary="Take the profile out of the directory")
async def unpublish_profile(
    member: str, uow: UnitOfWorkDep, caller: CurrentPrincipal
) -> ProfileRead:
    return await _owner_action(member, uow, caller, "unpublish")


@router.post("/{member}/confirm", summary="Confirm the profile is still right")
async def confirm_profile(member: str, uow: UnitOfWorkDep, caller: CurrentPrincipal) -> ProfileRead:
    return await _owner_action(member, uow, caller, "confirm")


@router.get("/{member}/viewers", summary="Who viewed this profile, newest first")
async def profile_viewers(
    member: str,
    uow: UnitOfWorkDep,
    caller: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=20)] = None,
) -> ViewPage:
    member_id, _ = await manager_or_admin(uow, caller, member, admin_ok=True)
    rows = await lists.profile_viewers(
        uow.session,
        profile_id=member_id,
        limit=limit,
        before=int_cursor(cursor),
    )
    return await view_page(uow, rows, limit)


@router.get(
    "/{member}/activity", summary="Changes to this profile, by whom, and whether as a delegate"
)
async def profile_activity(
    member: str,
    uow: UnitOfWorkDep,
    caller: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=20)] = None,
) -> ActivityPage:
    member_id, _ = await manager_or_admin(uow, caller, member, admin_ok=True)
    rows = await lists.activity(
        uow.session, member_id=member_id, limit=limit, before=int_cursor(cursor)
    )
    return ActivityPage(
        items=[ActivityRead.model_validate(r) for r in rows],
        next_cursor=str(rows[-1].id) if len(rows) == limit else None,
    )


@router.get("/{member}/notices", summary="Nudges for the owner: stale, reported")
async def profile_notices(
    member: str, uow: UnitOfWorkDep, caller: CurrentPrincipal
) -> list[NoticeRead]:
    member_id, _ = await manager_or_admin(uow, caller, member, admin_ok=False)
    return [NoticeRead.model_validate(n) for n in await lists.notices(uow.session, member_id, 50)]


@router.post(
    "/{member}/reports",
    status_code=201,
    summary="Report a profile as out of date, or its member as having left",
)
async def report_profile(
    member: str, body: ReportCreate, uow: UnitOfWorkDep, caller: CurrentPrincipal
) -> ReportRead:
    member_id = resolve(member, caller)
    report = await run(
        moderation.report_profile(
            commands.ReportProfile(member_id, person_id(caller), body.kind, body.note), uow
        )
    )
    await uow.commit()
    return ReportRead.model_validate(report).model_copy(update={"reporter_id": None})

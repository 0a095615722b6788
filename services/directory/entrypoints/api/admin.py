"""Programme admins: reports of out-of-date profiles and leavers, the audit of profile views."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query

from services.chassis.runtime import UnitOfWorkDep
from services.directory.domain import commands
from services.directory.entrypoints.api.dependencies import (
    ProgrammeAdmin,
)
from services.directory.entrypoints.api.paging import int_cursor, view_page
from services.directory.entrypoints.api.problems import run
from services.directory.handlers import moderation
from services.directory.schemas import (
    ReportRead,
    ViewPage,
)
from services.directory.views import lists

router = APIRouter(tags=["administration"])


@router.get("/reports", summary="Open reports of out-of-date profiles and leavers")
async def list_reports(
    uow: UnitOfWorkDep,
    _: ProgrammeAdmin,
    report_status: Annotated[Literal["open", "resolved"] | None, Query(alias="status")] = "open",
    member_id: UUID | None = None,
) -> list[ReportRead]:
    rows = await lists.reports(uow.session, status=report_status, member_id=member_id, limit=200)
    return [ReportRead.model_validate(r) for r in rows]


@router.post("/reports/{report_id}/resolve", summary="Mark a report dealt with")
async def resolve_report(report_id: UUID, uow: UnitOfWorkDep, _: ProgrammeAdmin) -> ReportRead:
    report = await run(moderation.resolve_report(commands.ResolveReport(report_id), uow))
    await uow.commit()
    return ReportRead.model_validate(report)


@router.get("/audit/views", summary="Profile views, for audit (programme admins)")
async def audit_views(
    uow: UnitOfWorkDep,
    _: ProgrammeAdmin,
    viewer_id: UUID | None = None,
    profile_id: UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
    cursor: Annotated[str | None, Query(max_length=20)] = None,
) -> ViewPage:
    rows = await lists.views_by(
        uow.session,
        viewer_id=viewer_id,
        profile_id=profile_id,
        limit=limit,
        before=int_cursor(cursor),
    )
    return await view_page(uow, rows, limit)

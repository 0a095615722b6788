"""Cohort routes: programme admins manage cohorts; members can see which exist."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from fastapi import APIRouter, Response, status

from services.chassis.auth import CurrentPrincipal
from services.chassis.pagination import Cursor, Page, PageCursor, PageSize
from services.chassis.runtime import UnitOfWorkDep
from services.identity import views
from services.identity.adapters.orm import Cohort
from services.identity.domain import commands
from services.identity.domain.model import is_alumni_cohort
from services.identity.entrypoints.api.dependencies import ProgrammeAdmin
from services.identity.entrypoints.api.paging import page_of
from services.identity.entrypoints.api.problems import run
from services.identity.handlers import cohorts
from services.identity.schemas import CohortCreate, CohortRead, MemberRead

router = APIRouter(prefix="/cohorts", tags=["cohorts"])


def _read(cohort: Cohort, members: int) -> CohortRead:
    return CohortRead(
        id=cohort.id,
        name=cohort.name,
        year=cohort.year,
        starts_on=cohort.starts_on,
        ends_on=cohort.ends_on,
        members=members,
        ended=is_alumni_cohort(cohort.ends_on, datetime.now(UTC).date()),
    )


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a programme cohort")
async def create_cohort(
    body: CohortCreate, uow: UnitOfWorkDep, admin: ProgrammeAdmin
) -> CohortRead:
    cohort = await run(
        cohorts.create_cohort(
            commands.CreateCohort(
                body.name, body.year, body.starts_on, body.ends_on, admin.subject
            ),
            uow,
        )
    )
    await uow.commit()
    return _read(cohort, 0)


@router.put("/{cohort_id}", summary="Change a cohort's name, year or dates")
async def update_cohort(
    cohort_id: UUID, body: CohortCreate, uow: UnitOfWorkDep, admin: ProgrammeAdmin
) -> CohortRead:
    cohort = await run(
        cohorts.update_cohort(
            commands.UpdateCohort(
                cohort_id, body.name, body.year, body.starts_on, body.ends_on, admin.subject
            ),
            uow,
        )
    )
    await uow.commit()
    return _read(cohort, await views.cohort_size(uow.session, cohort.id))


@router.get("", summary="Every cohort, newest first, with member counts")
async def list_cohorts(uow: UnitOfWorkDep, _: CurrentPrincipal) -> list[CohortRead]:
    return [_read(cohort, count) for cohort, count in await views.cohorts_with_counts(uow.session)]


@router.get("/{cohort_id}/members", summary="Members of a cohort")
async def list_members(
    cohort_id: UUID,
    uow: UnitOfWorkDep,
    _: ProgrammeAdmin,
    limit: PageSize = 25,
    cursor: PageCursor = None,
) -> Page[MemberRead]:
    rows = await views.cohort_members(
        uow.session, cohort_id, limit=limit + 1, after=Cursor.decode(cursor) if cursor else None
    )
    return page_of(rows, limit, MemberRead.model_validate)


@router.put(
    "/{cohort_id}/members/{member_id}",
    summary="Add a member to a cohort (201 when added, 200 when already in it)",
)
async def add_member(
    cohort_id: UUID, member_id: UUID, uow: UnitOfWorkDep, admin: ProgrammeAdmin, response: Response
) -> None:
    added = await run(
        cohorts.add_to_cohort(commands.AddToCohort(cohort_id, member_id, admin.subject), uow)
    )
    await uow.commit()
    response.status_code = status.HTTP_201_CREATED if added else status.HTTP_200_OK


@router.delete("/{cohort_id}/members/{member_id}", status_code=204, summary="Remove from a cohort")
async def remove_member(
    cohort_id: UUID, member_id: UUID, uow: UnitOfWorkDep, admin: ProgrammeAdmin
) -> Response:
    await run(
        cohorts.remove_from_cohort(
            commands.RemoveFromCohort(cohort_id, member_id, admin.subject), uow
        )
    )
    await uow.commit()
    return Response(status_code=204)

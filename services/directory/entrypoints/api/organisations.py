"""Reference data: the organisation list, expertise tags, and the vocabularies (with the limits
the directory enforces, so web forms need not restate them)."""

from __future__ import annotations

import base64
import re
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query

from services.chassis.auth import CurrentPrincipal
from services.chassis.problems import Problem
from services.chassis.runtime import UnitOfWorkDep
from services.directory.adapters.orm import Organisation
from services.directory.domain import commands
from services.directory.domain.model import (
    NEVER_FOR_DEPARTMENTS,
    REGION_LABELS,
    SECTOR_LABELS,
    ListedField,
    OrganisationType,
    PrivateField,
    Visibility,
)
from services.directory.entrypoints.api.dependencies import (
    ProgrammeAdmin,
    SettingsDep,
)
from services.directory.entrypoints.api.problems import run
from services.directory.handlers import organisations as handlers
from services.directory.schemas import (
    BIO_MAX_CHARS,
    REASON_MAX_CHARS,
    REASON_MIN_CHARS,
    REPORT_NOTE_MAX_CHARS,
    ExpertiseTagCreate,
    OrganisationCreate,
    OrganisationPage,
    OrganisationRead,
    TagRead,
)
from services.directory.views import lists, tags

router = APIRouter(prefix="/organisations", tags=["organisations"])
reference_router = APIRouter(tags=["reference"])


@router.get("", summary="The organisation list, by name")
async def list_organisations(
    uow: UnitOfWorkDep,
    _: CurrentPrincipal,
    q: Annotated[str | None, Query(max_length=100)] = None,
    type: Annotated[OrganisationType | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=300)] = None,
) -> OrganisationPage:
    after = None
    if cursor is not None:
        try:
            after = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        except (ValueError, UnicodeDecodeError) as exc:
            raise Problem(400, "Bad cursor", "The page cursor is not valid.", "bad-cursor") from exc
    rows = await lists.organisations(
        uow.session, q=q, type_=type.value if type else None, limit=limit, after=after
    )
    next_cursor = None
    if len(rows) == limit:
        next_cursor = base64.urlsafe_b64encode(rows[-1].name.lower().encode()).decode().rstrip("=")
    return OrganisationPage(
        items=[OrganisationRead.model_validate(o) for o in rows], next_cursor=next_cursor
    )


@router.get("/{organisation_id}", summary="One organisation")
async def read_organisation(
    organisation_id: UUID, uow: UnitOfWorkDep, _: CurrentPrincipal
) -> OrganisationRead:
    organisation = await uow.session.get(Organisation, organisation_id)
    if organisation is None:
        raise Problem(404, "Not found", "There is no organisation with that id.", "not-found")
    return OrganisationRead.model_validate(organisation)


@router.post("", status_code=201, summary="Add an organisation (programme admins)")
async def add_organisation(
    body: OrganisationCreate, uow: UnitOfWorkDep, admin: ProgrammeAdmin
) -> OrganisationRead:
    organisation = await run(
        handlers.add_organisation(
            commands.AddOrganisation(body.name, body.type.value, body.parent_id, admin.subject),
            uow,
        )
    )
    await uow.commit()
    return OrganisationRead.model_validate(organisation)


@router.put("/{organisation_id}", summary="Change an organisation's name, type or parent (admins)")
async def update_organisation(
    organisation_id: UUID, body: OrganisationCreate, uow: UnitOfWorkDep, admin: ProgrammeAdmin
) -> OrganisationRead:
    organisation = await run(
        handlers.update_organisation(
            commands.UpdateOrganisation(
                organisation_id, body.name, body.type.value, body.parent_id, admin.subject
            ),
            uow,
        )
    )
    await uow.commit()
    return OrganisationRead.model_validate(organisation)


@reference_router.get("/expertise", summary="The expertise tags members choose from")
async def list_expertise(uow: UnitOfWorkDep, _: CurrentPrincipal) -> list[TagRead]:
    labels = await tags.tag_labels(uow.session)
    return [TagRead(slug=s, label=label) for s, label in sorted(labels.items(), key=lambda i: i[1])]


@reference_router.post("/expertise", status_code=201, summary="Add a tag (programme admins)")
async def add_expertise(
    body: ExpertiseTagCreate, uow: UnitOfWorkDep, admin: ProgrammeAdmin
) -> TagRead:
    slug = body.slug or re.sub(r"[^a-z0-9]+", "-", body.label.lower()).strip("-")[:60]
    if len(slug) < 2:
        raise Problem(422, "Invalid tag", "The label needs letters or digits.", "invalid-tag")
    tag = await run(
        handlers.add_expertise_tag(commands.AddExpertiseTag(slug, body.label, admin.subject), uow)
    )
    await uow.commit()
    tags.forget_tag_labels()
    return TagRead(slug=tag.slug, label=tag.label)


@reference_router.get("/vocabularies", summary="Sectors, regions, organisation types, visibility")
async def vocabularies(_: CurrentPrincipal, settings: SettingsDep) -> dict[str, Any]:
    return {
        # What the web forms check before sending, so they never restate the directory's rules.
        "limits": {
            "bio_max_chars": BIO_MAX_CHARS,
            "photo_max_bytes": settings.photo_max_bytes,
            "reason_min_chars": REASON_MIN_CHARS,
            "reason_max_chars": REASON_MAX_CHARS,
            "report_note_max_chars": REPORT_NOTE_MAX_CHARS,
        },
        "sectors": [{"value": s.value, "label": label} for s, label in SECTOR_LABELS.items()],
        "regions": [{"value": r.value, "label": label} for r, label in REGION_LABELS.items()],
        "organisation_types": [t.value for t in OrganisationType],
        "visibility": [v.value for v in Visibility],
        "private_fields": [f.value for f in PrivateField],
        "listed_fields": [f.value for f in ListedField],
        "never_for_departments": sorted(f.value for f in NEVER_FOR_DEPARTMENTS),
    }

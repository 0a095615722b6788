"""A whole profile as one viewer may see it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.adapters.orm import Cohort, CohortMembership, Organisation, Profile
from services.directory.adapters.search.results import ListedProfile
from services.directory.domain.model import (
    PrivateField,
    ProfileFacts,
    ProfileStatus,
    Relation,
    Viewer,
    completeness,
    is_stale,
    stored_visibility,
    visibility_settings,
    visible_fields,
)


async def cohorts_of(session: AsyncSession, member_ids: Iterable[UUID]) -> dict[UUID, list[Cohort]]:
    ids = list(member_ids)
    found: dict[UUID, list[Cohort]] = {i: [] for i in ids}
    if not ids:
        return found
    rows = await session.execute(
        select(CohortMembership.member_id, Cohort)
        .join(Cohort, Cohort.id == CohortMembership.cohort_id)
        .where(CohortMembership.member_id.in_(ids))
        .order_by(Cohort.year.desc(), Cohort.name)
    )
    for member_id, cohort in rows:
        found[member_id].append(cohort)
    return found


def listed_to(profile: Profile, viewer: Viewer) -> bool:
    """Whether the viewer may see the profile at all: published and active, or their own
    (or their principal's) draft, or any profile for a programme admin."""
    mine = viewer.member_id is not None and (
        viewer.member_id == str(profile.member_id) or str(profile.member_id) in viewer.principals
    )
    if mine or viewer.is_admin:
        return True
    return profile.status == ProfileStatus.PUBLISHED and profile.active


def relations(profile: Profile, viewer: Viewer, cohorts: Sequence[Cohort]) -> frozenset[Relation]:
    return viewer.relation_to(str(profile.member_id), frozenset(str(c.id) for c in cohorts))


def contact_fields(
    profile: Profile | ListedProfile, shown: frozenset[PrivateField]
) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "email": profile.email if PrivateField.EMAIL in shown else None,
        "phone": profile.phone if PrivateField.PHONE in shown else None,
        "assistant": None,
        "photo_url": (
            f"/profiles/{profile.member_id}/photo"
            if PrivateField.PHOTO in shown and profile.has_photo
            else None
        ),
    }
    if PrivateField.ASSISTANT in shown and (
        profile.assistant_name or profile.assistant_email or profile.assistant_phone
    ):
        fields["assistant"] = {
            "name": profile.assistant_name,
            "email": profile.assistant_email,
            "phone": profile.assistant_phone,
        }
    return fields


def _organisation(profile: Profile, organisation: Organisation | None) -> dict[str, Any]:
    return {
        "organisation": organisation.name if organisation else profile.organisation,
        "organisation_id": organisation.id if organisation else None,
    }


def project_profile(
    profile: Profile,
    viewer: Viewer,
    *,
    cohorts: Sequence[Cohort],
    organisation: Organisation | None,
    labels: dict[str, str],
    now: datetime,
) -> dict[str, Any]:
    """A whole profile as this viewer may see it; owners and delegates also get the
    visibility settings and the completeness nudges."""
    related = relations(profile, viewer, cohorts)
    settings = visibility_settings(profile.visibility)
    shown = visible_fields(settings, related)
    owner_view = Relation.SELF in related or Relation.DELEGATE in related
    body: dict[str, Any] = {
        "member_id": profile.member_id,
        "full_name": profile.full_name,
        "preferred_name": profile.preferred_name,
        "job_title": profile.job_title,
        **_organisation(profile, organisation),
        "sector": profile.sector,
        "region": profile.region,
        "expertise": [{"slug": s, "label": labels.get(s, s)} for s in profile.expertise],
        "languages": list(profile.languages),
        "cohorts": [{"id": c.id, "name": c.name, "year": c.year} for c in cohorts],
        "bio": profile.bio if PrivateField.BIO in shown else None,
        **contact_fields(profile, shown),
        "status": profile.status,
        "stale": is_stale(profile.confirmed_at, now),
        "created_at": profile.created_at,
        "updated_at": profile.updated_at,
        "published_at": profile.published_at,
        "confirmed_at": profile.confirmed_at,
        "relation": sorted(r.value for r in related if r not in (Relation.EVERYONE,)),
        "visibility": None,
        "completeness": None,
    }
    if owner_view:
        body["visibility"] = stored_visibility(profile.visibility)
        score, missing = completeness(facts_of(profile))
        body["completeness"] = {
            "score": score,
            "missing": [{"item": m.item, "hint": m.hint} for m in missing],
        }
    return body


def facts_of(profile: Profile) -> ProfileFacts:
    return ProfileFacts(
        job_title=profile.job_title,
        organisation_id=str(profile.organisation_id) if profile.organisation_id else None,
        sector=profile.sector,
        region=profile.region,
        bio=profile.bio,
        expertise=tuple(profile.expertise or ()),
        languages=tuple(profile.languages or ()),
        has_photo=profile.has_photo,
        has_contact=bool(profile.email or profile.phone),
        preferred_name=profile.preferred_name,
    )


@dataclass
class LoadedProfile:
    profile: Profile
    organisation: Organisation | None
    cohorts: list[Cohort]


async def load_profiles(session: AsyncSession, member_ids: Sequence[UUID]) -> list[LoadedProfile]:
    """Profiles with organisation and cohorts, in the order of `member_ids` (missing skipped)."""
    if not member_ids:
        return []
    rows = await session.execute(
        select(Profile, Organisation)
        .join(Organisation, Organisation.id == Profile.organisation_id, isouter=True)
        .where(Profile.member_id.in_(member_ids))
    )
    by_id = {p.member_id: (p, o) for p, o in rows}
    cohorts = await cohorts_of(session, by_id)
    return [LoadedProfile(by_id[i][0], by_id[i][1], cohorts[i]) for i in member_ids if i in by_id]

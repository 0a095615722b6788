"""The events a profile change publishes, built with the same privacy rules as every read.

An event is read by nobody in particular, so it carries exactly what the `EVERYONE` viewer
may see: private fields only while `members`-visible. Issue 9's public variant belongs here
too, as a second projection with a narrower field list.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from contracts.events.directory import ProfilePublishedV1, ProfileRemovedV1, ProfileUpdatedV1
from services.chassis.database import UnitOfWork
from services.directory.adapters.orm import Cohort, Organisation, Profile
from services.directory.domain.model import (
    EVERYONE,
    PrivateField,
    visibility_settings,
    visible_fields,
)


def snapshot(
    profile: Profile, organisation: Organisation | None, cohorts: Sequence[Cohort]
) -> dict[str, object]:
    shown = visible_fields(
        visibility_settings(profile.visibility),
        EVERYONE.relation_to(str(profile.member_id), frozenset()),
    )
    assistant = PrivateField.ASSISTANT in shown
    return {
        "member_id": profile.member_id,
        "full_name": profile.full_name,
        "preferred_name": profile.preferred_name,
        "job_title": profile.job_title,
        "organisation_id": organisation.id if organisation else None,
        "organisation_name": organisation.name if organisation else profile.organisation,
        "sector": profile.sector,
        "region": profile.region,
        "expertise": list(profile.expertise),
        "languages": list(profile.languages),
        "cohort_ids": [c.id for c in cohorts],
        "bio": profile.bio if PrivateField.BIO in shown else None,
        "email": profile.email if PrivateField.EMAIL in shown else None,
        "phone": profile.phone if PrivateField.PHONE in shown else None,
        "assistant_name": profile.assistant_name if assistant else None,
        "assistant_email": profile.assistant_email if assistant else None,
        "assistant_phone": profile.assistant_phone if assistant else None,
        "has_photo": profile.has_photo and PrivateField.PHOTO in shown,
        "published_at": profile.published_at or profile.updated_at,
        "updated_at": profile.updated_at,
        "confirmed_at": profile.confirmed_at,
    }


async def publish_profile_changed(
    uow: UnitOfWork,
    profile: Profile,
    organisation: Organisation | None,
    cohorts: Sequence[Cohort],
    *,
    first_time: bool,
) -> None:
    """ProfilePublished (first_time) or ProfileUpdated, for a listed profile only."""
    model = ProfilePublishedV1 if first_time else ProfileUpdatedV1
    await uow.publish(model.model_validate(snapshot(profile, organisation, cohorts)))


async def publish_profile_removed(
    uow: UnitOfWork, member_id: UUID, reason: str, at: datetime
) -> None:
    await uow.publish(ProfileRemovedV1(member_id=member_id, reason=reason, removed_at=at))

"""The events a profile change publishes, built with the same privacy rules as every read.

An internal event is read by nobody in particular, so it carries exactly what the `EVERYONE`
viewer may see: private fields only while `members`-visible. The public entry (issue 9) is a
second, narrower projection for other departments: only the fields the member set to
`departments`, and only while the profile is listed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from contracts.events.directory import (
    ProfilePublishedV1,
    ProfileRemovedV1,
    ProfileUpdatedV1,
    PublicProfilePublishedV1,
    PublicProfileRemovedV1,
    PublicProfileUpdatedV1,
)
from services.chassis.database import UnitOfWork
from services.directory.adapters.orm import Cohort, Organisation, Profile
from services.directory.domain.model import (
    EVERYONE,
    ListedField,
    PrivateField,
    ProfileStatus,
    shared_with_departments,
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
) -> ProfileRemovedV1:
    """ProfileRemoved, returned so a caller can publish its public twin from it."""
    removed = ProfileRemovedV1(member_id=member_id, reason=reason, removed_at=at)
    await uow.publish(removed)
    return removed


#: The event fields each visibility choice shares: a choice is shared whole or not at all.
PUBLIC_FIELDS_OF: dict[str, tuple[str, ...]] = {
    ListedField.NAME: ("full_name", "preferred_name"),
    ListedField.JOB_TITLE: ("job_title",),
    ListedField.ORGANISATION: ("organisation_id", "organisation_name"),
    ListedField.SECTOR: ("sector",),
    ListedField.REGION: ("region",),
    ListedField.EXPERTISE: ("expertise",),
    ListedField.LANGUAGES: ("languages",),
    PrivateField.BIO: ("bio",),
    PrivateField.EMAIL: ("email",),
    PrivateField.PHONE: ("phone",),
    PrivateField.ASSISTANT: ("assistant_name", "assistant_email", "assistant_phone"),
}


def public_entry(profile: Profile, organisation: Organisation | None) -> dict[str, Any] | None:
    """What other departments may know of this profile, as JSON values; None when nothing.

    Only a listed (published, active) profile has an entry, and only with at least one field
    shared with `departments`. Empty fields are left out, as are all unshared ones.
    """
    if profile.status != ProfileStatus.PUBLISHED or not profile.active:
        return None
    shared = sorted(shared_with_departments(profile.visibility))
    if not shared:
        return None
    values: dict[str, Any] = {
        "full_name": profile.full_name,
        "preferred_name": profile.preferred_name,
        "job_title": profile.job_title,
        "organisation_id": str(organisation.id) if organisation else None,
        "organisation_name": organisation.name if organisation else profile.organisation,
        "sector": profile.sector,
        "region": profile.region,
        "expertise": list(profile.expertise or []),
        "languages": list(profile.languages or []),
        "bio": profile.bio,
        "email": profile.email,
        "phone": profile.phone,
        "assistant_name": profile.assistant_name,
        "assistant_email": profile.assistant_email,
        "assistant_phone": profile.assistant_phone,
    }
    entry: dict[str, Any] = {"shared": shared}
    for choice in shared:
        entry |= {
            name: values[name] for name in PUBLIC_FIELDS_OF[choice] if values[name] is not None
        }
    return entry


async def publish_public_entry(
    uow: UnitOfWork, profile: Profile, organisation: Organisation | None, at: datetime
) -> None:
    """Tell departments about the entry if what they may see changed, and only then.

    Compares with the entry last sent (kept on the profile), so a change to anything they do
    not see (a members-only field, a cohort, a confirmation) publishes nothing.
    """
    entry = public_entry(profile, organisation)
    before = profile.public_entry
    if entry == before:
        return
    profile.public_entry = entry
    if entry is None:
        await uow.publish(PublicProfileRemovedV1(member_id=profile.member_id, removed_at=at))
        return
    model = PublicProfilePublishedV1 if before is None else PublicProfileUpdatedV1
    await uow.publish(model(member_id=profile.member_id, changed_at=at, **entry))

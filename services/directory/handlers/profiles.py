"""Owners and delegates changing a profile: its fields, publishing, confirming, its photo."""

import hashlib
from datetime import UTC, datetime

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert

from services.chassis.database import UnitOfWork
from services.directory import events
from services.directory.adapters.orm import (
    ExpertiseTag,
    Organisation,
    Photo,
    Profile,
    ProfileReport,
)
from services.directory.adapters.search import index as search_index
from services.directory.config import DirectorySettings
from services.directory.domain import commands
from services.directory.domain.errors import (
    InvalidChange,
    PhotoRejected,
)
from services.directory.domain.model import (
    ProfileStatus,
    stored_visibility,
)
from services.directory.domain.photos import sniff_image_type
from services.directory.handlers.authority import acting_for, is_listed
from services.directory.handlers.profile_changes import (
    profile_changed,
    record_activity,
)

#: Fields an owner may not leave empty when publishing.
REQUIRED_TO_PUBLISH = ("job_title", "sector", "region")


async def update_profile(command: commands.UpdateProfile, uow: UnitOfWork) -> Profile:
    profile, as_delegate = await acting_for(uow, command.member_id, command.actor)
    changes = dict(command.changes)
    if "organisation_id" in changes:
        org_id = changes["organisation_id"]
        if org_id is None:
            profile.organisation_id = None
        else:
            organisation = await uow.session.get(Organisation, org_id)
            if organisation is None:
                raise InvalidChange("There is no organisation with that id in the list.")
            profile.organisation_id = organisation.id
            profile.organisation = organisation.name
        del changes["organisation_id"]
    if "expertise" in changes:
        wanted = list(dict.fromkeys(changes.pop("expertise") or []))
        known = set(
            (
                await uow.session.scalars(
                    select(ExpertiseTag.slug).where(ExpertiseTag.slug.in_(wanted))
                )
            ).all()
        )
        unknown = [tag for tag in wanted if tag not in known]
        if unknown:
            raise InvalidChange(
                f"Unknown expertise tags: {', '.join(unknown)}. Choose from GET /expertise."
            )
        profile.expertise = wanted
    if "visibility" in changes:
        merged = stored_visibility(profile.visibility)
        merged.update({str(k): str(v) for k, v in (changes.pop("visibility") or {}).items()})
        profile.visibility = merged
    if "assistant" in changes:
        assistant = changes.pop("assistant") or {}
        profile.assistant_name = assistant.get("name")
        profile.assistant_email = assistant.get("email")
        profile.assistant_phone = assistant.get("phone")
    for name, value in changes.items():
        setattr(profile, name, list(value) if isinstance(value, list | tuple) else value)
    profile.updated_at = datetime.now(UTC)
    record_activity(
        uow,
        profile.member_id,
        command.actor,
        as_delegate,
        "profile.updated",
        fields=sorted(command.changes),
    )
    await profile_changed(uow, profile)
    return profile


async def publish_profile(command: commands.PublishProfile, uow: UnitOfWork) -> Profile:
    profile, as_delegate = await acting_for(uow, command.member_id, command.actor)
    missing = [name for name in REQUIRED_TO_PUBLISH if not getattr(profile, name)]
    if missing:
        raise InvalidChange(f"Add these before publishing: {', '.join(missing)}.")
    if profile.status == ProfileStatus.PUBLISHED:
        return profile
    now = datetime.now(UTC)
    profile.status = ProfileStatus.PUBLISHED
    profile.published_at = profile.published_at or now
    profile.confirmed_at = profile.confirmed_at or now
    profile.updated_at = now
    record_activity(uow, profile.member_id, command.actor, as_delegate, "profile.published")
    await profile_changed(uow, profile, first_time=True)
    return profile


async def unpublish_profile(command: commands.UnpublishProfile, uow: UnitOfWork) -> Profile:
    profile, as_delegate = await acting_for(uow, command.member_id, command.actor)
    if profile.status != ProfileStatus.PUBLISHED:
        return profile
    was_listed = is_listed(profile)
    profile.status = ProfileStatus.DRAFT
    profile.updated_at = datetime.now(UTC)
    record_activity(uow, profile.member_id, command.actor, as_delegate, "profile.unpublished")
    await uow.session.flush()
    await search_index.refresh_search_index(uow.session, profile.member_id)
    if was_listed:
        await events.publish_profile_removed(
            uow, profile.member_id, "unpublished", profile.updated_at
        )
    await events.publish_public_entry(uow, profile, None, profile.updated_at)
    return profile


async def confirm_profile(command: commands.ConfirmProfile, uow: UnitOfWork) -> Profile:
    profile, as_delegate = await acting_for(uow, command.member_id, command.actor)
    now = datetime.now(UTC)
    profile.confirmed_at = now
    profile.stale_since = None
    profile.updated_at = now
    await uow.session.execute(
        update(ProfileReport)
        .where(ProfileReport.member_id == profile.member_id, ProfileReport.status == "open")
        .where(ProfileReport.kind == "out_of_date")
        .values(status="resolved", resolved_at=now)
    )
    record_activity(uow, profile.member_id, command.actor, as_delegate, "profile.confirmed")
    await profile_changed(uow, profile)
    return profile


async def upload_photo(
    command: commands.UploadPhoto, uow: UnitOfWork, *, settings: DirectorySettings
) -> Profile:
    profile, as_delegate = await acting_for(uow, command.member_id, command.actor)
    if len(command.data) > settings.photo_max_bytes:
        raise PhotoRejected(
            f"Photos are limited to {settings.photo_max_bytes // 1000} KB.", too_large=True
        )
    content_type = sniff_image_type(command.data)
    if content_type is None:
        raise PhotoRejected("Upload a JPEG, PNG or WebP image.")
    digest = hashlib.sha256(command.data).hexdigest()
    await uow.session.execute(
        insert(Photo)
        .values(
            member_id=profile.member_id,
            content_type=content_type,
            data=command.data,
            sha256=digest,
            uploaded_at=datetime.now(UTC),
        )
        .on_conflict_do_update(
            index_elements=[Photo.member_id],
            set_={
                "content_type": content_type,
                "data": command.data,
                "sha256": digest,
                "uploaded_at": datetime.now(UTC),
            },
        )
    )
    profile.has_photo = True
    profile.updated_at = datetime.now(UTC)
    record_activity(
        uow,
        profile.member_id,
        command.actor,
        as_delegate,
        "photo.uploaded",
        bytes=len(command.data),
    )
    await profile_changed(uow, profile)
    return profile


async def remove_photo(command: commands.RemovePhoto, uow: UnitOfWork) -> None:
    profile, as_delegate = await acting_for(uow, command.member_id, command.actor)
    await uow.session.execute(delete(Photo).where(Photo.member_id == profile.member_id))
    if profile.has_photo:
        profile.has_photo = False
        profile.updated_at = datetime.now(UTC)
        record_activity(uow, profile.member_id, command.actor, as_delegate, "photo.removed")
        await profile_changed(uow, profile)

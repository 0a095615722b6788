"""Directory's command handlers. They change state and publish events; the caller commits.

Handlers fed by events (drafts, cohorts, deactivation, erasure) are idempotent: the chassis
inbox already dedupes deliveries, and applying one twice changes nothing anyway.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import delete, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert

from contracts.events.directory import (
    ContactRequestAcceptedV1,
    ContactRequestDeclinedV1,
    ContactRequestMadeV1,
    PublicOrganisationAddedV1,
    PublicOrganisationUpdatedV1,
    PublicProfileRemovedV1,
)
from services.chassis.database import UnitOfWork
from services.directory import profile_events
from services.directory.adapters import search
from services.directory.adapters.orm import (
    ActivityEntry,
    Block,
    Cohort,
    CohortMembership,
    Connection,
    ContactRequest,
    Delegate,
    ExpertiseTag,
    Notice,
    Organisation,
    Photo,
    Profile,
    ProfileReport,
    ProfileView,
)
from services.directory.config import DirectorySettings
from services.directory.domain import commands
from services.directory.domain.errors import (
    Blocked,
    Conflict,
    InvalidChange,
    NotPermitted,
    OrganisationNotFound,
    PhotoRejected,
    ProfileNotFound,
    RateLimited,
    RequestNotFound,
)
from services.directory.domain.model import (
    STALE_AFTER,
    ProfileStatus,
    stored_visibility,
)
from services.directory.domain.photos import sniff_image_type

#: Fields an owner may not leave empty when publishing.
REQUIRED_TO_PUBLISH = ("job_title", "sector", "region")


def _now() -> datetime:
    return datetime.now(UTC)


def _default_visibility() -> dict[str, str]:
    return stored_visibility(None)


# -- authority ------------------------------------------------------------------------------


async def _acting_for(
    uow: UnitOfWork, member_id: UUID, actor: commands.Actor, *, lock: bool = True
) -> tuple[Profile, bool]:
    """The profile `actor` may act on, and whether they act as its member's delegate.

    Raises ProfileNotFound when there is no such profile (or the actor may not know of it),
    NotPermitted when they may see it but not act for its member.
    """
    query = select(Profile).where(Profile.member_id == member_id)
    if lock:
        query = query.with_for_update()
    profile = await uow.session.scalar(query)
    if profile is None:
        raise ProfileNotFound()
    if actor.member_id == member_id:
        return profile, False
    if await _is_delegate(uow, principal_id=member_id, delegate_id=actor.member_id):
        return profile, True
    if profile.status != ProfileStatus.PUBLISHED or not profile.active:
        raise ProfileNotFound()
    raise NotPermitted("Only the member, or a delegate they have named, may do this.")


async def _is_delegate(uow: UnitOfWork, *, principal_id: UUID, delegate_id: UUID) -> bool:
    found = await uow.session.get(Delegate, (principal_id, delegate_id))
    return found is not None


def _record(
    uow: UnitOfWork,
    member_id: UUID,
    actor: commands.Actor | None,
    as_delegate: bool,
    action: str,
    **details: Any,
) -> None:
    uow.session.add(
        ActivityEntry(
            member_id=member_id,
            actor_id=actor.member_id if actor else None,
            as_delegate=as_delegate,
            action=action,
            details=details,
            at=_now(),
        )
    )


async def _organisation_and_cohorts(
    uow: UnitOfWork, profile: Profile
) -> tuple[Organisation | None, list[Cohort]]:
    organisation = (
        await uow.session.get(Organisation, profile.organisation_id)
        if profile.organisation_id
        else None
    )
    cohorts = (
        await uow.session.scalars(
            select(Cohort)
            .join(CohortMembership, CohortMembership.cohort_id == Cohort.id)
            .where(CohortMembership.member_id == profile.member_id)
            .order_by(Cohort.year, Cohort.name)
        )
    ).all()
    return organisation, list(cohorts)


def _listed(profile: Profile) -> bool:
    return profile.status == ProfileStatus.PUBLISHED and profile.active


async def _changed(uow: UnitOfWork, profile: Profile, *, first_time: bool = False) -> None:
    """After any change: rebuild the search entry and, if listed, tell the other services."""
    await uow.session.flush()
    await search.refresh_search_index(uow.session, profile.member_id)
    if _listed(profile):
        organisation, cohorts = await _organisation_and_cohorts(uow, profile)
        await profile_events.publish_profile_changed(
            uow, profile, organisation, cohorts, first_time=first_time
        )
        await profile_events.publish_public_entry(uow, profile, organisation, profile.updated_at)


# -- from identity's events -----------------------------------------------------------------


async def create_draft_profile(command: commands.CreateDraftProfile, uow: UnitOfWork) -> None:
    """A draft holding what identity knew; a second request for the same member only fills
    the work email if it is still empty (activation carries it, invitation may not)."""
    profile = await uow.session.get(Profile, command.member_id)
    if profile is not None:
        if command.email and not profile.email:
            profile.email = command.email
        return
    uow.session.add(
        Profile(
            member_id=command.member_id,
            full_name=command.full_name,
            organisation=command.organisation,
            status=ProfileStatus.DRAFT,
            email=command.email,
            visibility=_default_visibility(),
            expertise=[],
            languages=[],
            active=True,
            has_photo=False,
            sort_name=command.full_name.lower(),
            created_at=_now(),
            updated_at=_now(),
        )
    )


async def deactivate_member(command: commands.DeactivateMember, uow: UnitOfWork) -> None:
    profile = await uow.session.get(Profile, command.member_id, with_for_update=True)
    if profile is None or not profile.active:
        return
    was_listed = _listed(profile)
    profile.active = False
    profile.updated_at = _now()
    _record(uow, profile.member_id, None, False, "profile.deactivated")
    if was_listed:
        await profile_events.publish_profile_removed(
            uow, profile.member_id, "deactivated", profile.updated_at
        )
    await profile_events.publish_public_entry(uow, profile, None, profile.updated_at)


async def remove_profile(command: commands.RemoveProfile, uow: UnitOfWork) -> None:
    """Erasure: the profile, its photo, requests, connections, blocks, delegations, views,
    reports, notices and activity all go; others' activity keeps the entry but not the actor."""
    member = command.member_id
    session = uow.session
    profile = await session.get(Profile, member, with_for_update=True)
    words = await search.indexed_words(session, member) if profile else []
    had_public_entry = profile is not None and profile.public_entry is not None
    await session.execute(
        delete(ContactRequest).where(
            or_(ContactRequest.requester_id == member, ContactRequest.recipient_id == member)
        )
    )
    await session.execute(
        delete(Connection).where(or_(Connection.member_id == member, Connection.other_id == member))
    )
    await session.execute(
        delete(Block).where(or_(Block.blocker_id == member, Block.blocked_id == member))
    )
    await session.execute(
        delete(Delegate).where(or_(Delegate.principal_id == member, Delegate.delegate_id == member))
    )
    await session.execute(
        delete(ProfileView).where(
            or_(ProfileView.profile_id == member, ProfileView.viewer_id == member)
        )
    )
    await session.execute(
        delete(ProfileReport).where(
            or_(ProfileReport.member_id == member, ProfileReport.reporter_id == member)
        )
    )
    await session.execute(delete(Notice).where(Notice.member_id == member))
    await session.execute(delete(ActivityEntry).where(ActivityEntry.member_id == member))
    await session.execute(
        update(ActivityEntry).where(ActivityEntry.actor_id == member).values(actor_id=None)
    )
    await session.execute(delete(CohortMembership).where(CohortMembership.member_id == member))
    await session.execute(delete(Photo).where(Photo.member_id == member))
    await session.execute(delete(Profile).where(Profile.member_id == member))
    await search.forget_words(session, words)
    if profile is not None:
        await profile_events.publish_profile_removed(uow, member, "erased", _now())
        if had_public_entry:
            await uow.publish(PublicProfileRemovedV1(member_id=member, removed_at=_now()))


async def record_cohort(command: commands.RecordCohort, uow: UnitOfWork) -> None:
    await uow.session.execute(
        insert(Cohort)
        .values(id=command.cohort_id, name=command.name, year=command.year)
        .on_conflict_do_update(
            index_elements=[Cohort.id], set_={"name": command.name, "year": command.year}
        )
    )


async def join_cohort(command: commands.JoinCohort, uow: UnitOfWork) -> None:
    # The cohort may arrive on its own topic after this event: make sure it exists.
    await uow.session.execute(
        insert(Cohort)
        .values(id=command.cohort_id, name=command.cohort_name, year=command.cohort_year)
        .on_conflict_do_nothing()
    )
    added = await uow.session.execute(
        insert(CohortMembership)
        .values(member_id=command.member_id, cohort_id=command.cohort_id)
        .on_conflict_do_nothing()
        .returning(CohortMembership.member_id)
    )
    profile = await uow.session.get(Profile, command.member_id)
    if added.first() is not None and profile is not None:
        profile.updated_at = _now()
        await _changed(uow, profile)


async def leave_cohort(command: commands.LeaveCohort, uow: UnitOfWork) -> None:
    removed = await uow.session.execute(
        delete(CohortMembership)
        .where(
            CohortMembership.member_id == command.member_id,
            CohortMembership.cohort_id == command.cohort_id,
        )
        .returning(CohortMembership.member_id)
    )
    profile = await uow.session.get(Profile, command.member_id)
    if removed.first() is not None and profile is not None:
        profile.updated_at = _now()
        await _changed(uow, profile)


# -- owners and delegates -------------------------------------------------------------------


async def update_profile(command: commands.UpdateProfile, uow: UnitOfWork) -> Profile:
    profile, as_delegate = await _acting_for(uow, command.member_id, command.actor)
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
    profile.updated_at = _now()
    _record(
        uow,
        profile.member_id,
        command.actor,
        as_delegate,
        "profile.updated",
        fields=sorted(command.changes),
    )
    await _changed(uow, profile)
    return profile


async def publish_profile(command: commands.PublishProfile, uow: UnitOfWork) -> Profile:
    profile, as_delegate = await _acting_for(uow, command.member_id, command.actor)
    missing = [name for name in REQUIRED_TO_PUBLISH if not getattr(profile, name)]
    if missing:
        raise InvalidChange(f"Add these before publishing: {', '.join(missing)}.")
    if profile.status == ProfileStatus.PUBLISHED:
        return profile
    now = _now()
    profile.status = ProfileStatus.PUBLISHED
    profile.published_at = profile.published_at or now
    profile.confirmed_at = profile.confirmed_at or now
    profile.updated_at = now
    _record(uow, profile.member_id, command.actor, as_delegate, "profile.published")
    await _changed(uow, profile, first_time=True)
    return profile


async def unpublish_profile(command: commands.UnpublishProfile, uow: UnitOfWork) -> Profile:
    profile, as_delegate = await _acting_for(uow, command.member_id, command.actor)
    if profile.status != ProfileStatus.PUBLISHED:
        return profile
    was_listed = _listed(profile)
    profile.status = ProfileStatus.DRAFT
    profile.updated_at = _now()
    _record(uow, profile.member_id, command.actor, as_delegate, "profile.unpublished")
    await uow.session.flush()
    await search.refresh_search_index(uow.session, profile.member_id)
    if was_listed:
        await profile_events.publish_profile_removed(
            uow, profile.member_id, "unpublished", profile.updated_at
        )
    await profile_events.publish_public_entry(uow, profile, None, profile.updated_at)
    return profile


async def confirm_profile(command: commands.ConfirmProfile, uow: UnitOfWork) -> Profile:
    profile, as_delegate = await _acting_for(uow, command.member_id, command.actor)
    now = _now()
    profile.confirmed_at = now
    profile.stale_since = None
    profile.updated_at = now
    await uow.session.execute(
        update(ProfileReport)
        .where(ProfileReport.member_id == profile.member_id, ProfileReport.status == "open")
        .where(ProfileReport.kind == "out_of_date")
        .values(status="resolved", resolved_at=now)
    )
    _record(uow, profile.member_id, command.actor, as_delegate, "profile.confirmed")
    await _changed(uow, profile)
    return profile


async def upload_photo(
    command: commands.UploadPhoto, uow: UnitOfWork, settings: DirectorySettings
) -> Profile:
    profile, as_delegate = await _acting_for(uow, command.member_id, command.actor)
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
            uploaded_at=_now(),
        )
        .on_conflict_do_update(
            index_elements=[Photo.member_id],
            set_={
                "content_type": content_type,
                "data": command.data,
                "sha256": digest,
                "uploaded_at": _now(),
            },
        )
    )
    profile.has_photo = True
    profile.updated_at = _now()
    _record(
        uow,
        profile.member_id,
        command.actor,
        as_delegate,
        "photo.uploaded",
        bytes=len(command.data),
    )
    await _changed(uow, profile)
    return profile


async def remove_photo(command: commands.RemovePhoto, uow: UnitOfWork) -> None:
    profile, as_delegate = await _acting_for(uow, command.member_id, command.actor)
    await uow.session.execute(delete(Photo).where(Photo.member_id == profile.member_id))
    if profile.has_photo:
        profile.has_photo = False
        profile.updated_at = _now()
        _record(uow, profile.member_id, command.actor, as_delegate, "photo.removed")
        await _changed(uow, profile)


async def name_delegate(command: commands.NameDelegate, uow: UnitOfWork) -> None:
    if command.actor.member_id != command.principal_id:
        raise NotPermitted("Only the member may name their delegates.")
    if command.delegate_id == command.principal_id:
        raise InvalidChange("You cannot be your own delegate.")
    if await uow.session.get(Profile, command.principal_id) is None:
        raise ProfileNotFound()
    if await uow.session.get(Profile, command.delegate_id) is None:
        raise InvalidChange("The delegate must be a Convene member.")
    added = await uow.session.execute(
        insert(Delegate)
        .values(
            principal_id=command.principal_id, delegate_id=command.delegate_id, created_at=_now()
        )
        .on_conflict_do_nothing()
        .returning(Delegate.delegate_id)
    )
    if added.first() is not None:
        _record(
            uow,
            command.principal_id,
            command.actor,
            False,
            "delegate.named",
            delegate_id=str(command.delegate_id),
        )


async def remove_delegate(command: commands.RemoveDelegate, uow: UnitOfWork) -> None:
    """The member removes a delegate, or a delegate steps down."""
    if command.actor.member_id not in (command.principal_id, command.delegate_id):
        raise NotPermitted("Only the member or the delegate may end a delegation.")
    removed = await uow.session.execute(
        delete(Delegate)
        .where(
            Delegate.principal_id == command.principal_id,
            Delegate.delegate_id == command.delegate_id,
        )
        .returning(Delegate.delegate_id)
    )
    if removed.first() is not None:
        _record(
            uow,
            command.principal_id,
            command.actor,
            command.actor.member_id == command.delegate_id,
            "delegate.removed",
            delegate_id=str(command.delegate_id),
        )


# -- contact across boundaries --------------------------------------------------------------


async def send_contact_request(
    command: commands.SendContactRequest, uow: UnitOfWork, settings: DirectorySettings
) -> ContactRequest:
    session = uow.session
    requester, as_delegate = await _acting_for(uow, command.requester_id, command.actor, lock=False)
    if command.recipient_id == requester.member_id:
        raise InvalidChange("You cannot send a contact request to yourself.")
    recipient = await session.get(Profile, command.recipient_id)
    if recipient is None or not _listed(recipient):
        raise ProfileNotFound()
    pair = (requester.member_id, recipient.member_id)
    # One requester at a time, so two racing requests cannot both slip under the daily limit.
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"contact:{pair[0]}"}
    )
    if await session.get(Block, (pair[1], pair[0])) is not None:
        raise Blocked()
    if await session.get(Block, pair) is not None:
        raise Conflict("You have blocked this member. Unblock them first.")
    if await session.get(Connection, pair) is not None:
        raise Conflict("You are already connected.")
    now = _now()
    await session.execute(
        update(ContactRequest)
        .where(
            ContactRequest.status == "pending",
            ContactRequest.expires_at <= now,
            or_(
                (ContactRequest.requester_id == pair[0]) & (ContactRequest.recipient_id == pair[1]),
                (ContactRequest.requester_id == pair[1]) & (ContactRequest.recipient_id == pair[0]),
            ),
        )
        .values(status="expired")
    )
    pending = await session.scalar(
        select(ContactRequest).where(
            ContactRequest.status == "pending",
            or_(
                (ContactRequest.requester_id == pair[0]) & (ContactRequest.recipient_id == pair[1]),
                (ContactRequest.requester_id == pair[1]) & (ContactRequest.recipient_id == pair[0]),
            ),
        )
    )
    if pending is not None:
        if pending.requester_id == pair[0]:
            raise Conflict("You already have a pending request to this member.")
        raise Conflict("This member has already asked to contact you: accept their request.")
    window_start = now - timedelta(days=1)
    made, oldest = (
        await session.execute(
            select(func.count(), func.min(ContactRequest.created_at)).where(
                ContactRequest.requester_id == pair[0], ContactRequest.created_at > window_start
            )
        )
    ).one()
    if made >= settings.contact_requests_per_day:
        retry = int((oldest + timedelta(days=1) - now).total_seconds()) + 1
        raise RateLimited(settings.contact_requests_per_day, max(retry, 1))
    request = ContactRequest(
        id=uuid.uuid4(),
        requester_id=pair[0],
        recipient_id=pair[1],
        reason=command.reason,
        status="pending",
        created_at=now,
        expires_at=now + timedelta(days=settings.contact_request_days),
        made_by=command.actor.member_id,
    )
    session.add(request)
    _record(
        uow,
        pair[0],
        command.actor,
        as_delegate,
        "contact_request.made",
        request_id=str(request.id),
        recipient_id=str(pair[1]),
    )
    await uow.publish(
        ContactRequestMadeV1(
            request_id=request.id,
            requester_id=pair[0],
            recipient_id=pair[1],
            reason=request.reason,
            made_by=command.actor.member_id,
            created_at=now,
            expires_at=request.expires_at,
        )
    )
    return request


async def decide_contact_request(
    command: commands.DecideContactRequest, uow: UnitOfWork
) -> ContactRequest:
    session = uow.session
    request = await session.get(ContactRequest, command.request_id, with_for_update=True)
    if request is None:
        raise RequestNotFound()
    actor = command.actor.member_id
    as_delegate = False
    if actor != request.recipient_id:
        as_delegate = await _is_delegate(uow, principal_id=request.recipient_id, delegate_id=actor)
        if not as_delegate:
            if actor == request.requester_id:
                raise NotPermitted("Only the member you asked (or their delegate) can answer.")
            raise RequestNotFound()
    now = _now()
    if request.status == "pending" and request.expires_at <= now:
        request.status = "expired"
    if request.status != "pending":
        raise Conflict(f"This request is already {request.status}.")
    request.status = "accepted" if command.accept else "declined"
    request.decided_at = now
    request.decided_by = actor
    _record(
        uow,
        request.recipient_id,
        command.actor,
        as_delegate,
        f"contact_request.{request.status}",
        request_id=str(request.id),
        requester_id=str(request.requester_id),
    )
    fields = {
        "request_id": request.id,
        "requester_id": request.requester_id,
        "recipient_id": request.recipient_id,
        "decided_by": actor,
        "decided_at": now,
    }
    if command.accept:
        await session.execute(
            insert(Connection)
            .values(
                [
                    {
                        "member_id": request.requester_id,
                        "other_id": request.recipient_id,
                        "request_id": request.id,
                        "created_at": now,
                    },
                    {
                        "member_id": request.recipient_id,
                        "other_id": request.requester_id,
                        "request_id": request.id,
                        "created_at": now,
                    },
                ]
            )
            .on_conflict_do_nothing()
        )
        await uow.publish(ContactRequestAcceptedV1(**fields))
    else:
        await uow.publish(ContactRequestDeclinedV1(**fields))
    return request


async def block_member(command: commands.BlockMember, uow: UnitOfWork) -> None:
    """The blocked member can no longer ask; any connection and pending request between the
    two end (silently: the blocked member is not told)."""
    blocker, as_delegate = await _acting_for(uow, command.blocker_id, command.actor, lock=False)
    blocked = command.blocked_id
    if blocked == blocker.member_id:
        raise InvalidChange("You cannot block yourself.")
    if await uow.session.get(Profile, blocked) is None:
        raise ProfileNotFound()
    now = _now()
    await uow.session.execute(
        insert(Block)
        .values(blocker_id=blocker.member_id, blocked_id=blocked, created_at=now)
        .on_conflict_do_nothing()
    )
    await uow.session.execute(
        delete(Connection).where(
            or_(
                (Connection.member_id == blocker.member_id) & (Connection.other_id == blocked),
                (Connection.member_id == blocked) & (Connection.other_id == blocker.member_id),
            )
        )
    )
    await uow.session.execute(
        update(ContactRequest)
        .where(
            ContactRequest.status == "pending",
            or_(
                (ContactRequest.requester_id == blocked)
                & (ContactRequest.recipient_id == blocker.member_id),
                (ContactRequest.requester_id == blocker.member_id)
                & (ContactRequest.recipient_id == blocked),
            ),
        )
        .values(status="blocked", decided_at=now, decided_by=command.actor.member_id)
    )
    _record(
        uow,
        blocker.member_id,
        command.actor,
        as_delegate,
        "member.blocked",
        blocked_id=str(blocked),
    )


async def unblock_member(command: commands.UnblockMember, uow: UnitOfWork) -> None:
    blocker, as_delegate = await _acting_for(uow, command.blocker_id, command.actor, lock=False)
    removed = await uow.session.execute(
        delete(Block)
        .where(Block.blocker_id == blocker.member_id, Block.blocked_id == command.blocked_id)
        .returning(Block.blocked_id)
    )
    if removed.first() is not None:
        _record(
            uow,
            blocker.member_id,
            command.actor,
            as_delegate,
            "member.unblocked",
            blocked_id=str(command.blocked_id),
        )


# -- reports, views, reference data ---------------------------------------------------------

REPORT_KINDS = ("out_of_date", "leaver")


async def report_profile(command: commands.ReportProfile, uow: UnitOfWork) -> ProfileReport:
    """Reaches the owner (a notice, without the reporter's name) and admins (the report list).
    Reporting the same thing twice while it is open returns the open report."""
    profile = await uow.session.get(Profile, command.member_id)
    if profile is None or not _listed(profile):
        raise ProfileNotFound()
    existing = await uow.session.scalar(
        select(ProfileReport).where(
            ProfileReport.member_id == command.member_id,
            ProfileReport.reporter_id == command.reporter_id,
            ProfileReport.kind == command.kind,
            ProfileReport.status == "open",
        )
    )
    if existing is not None:
        return existing
    report = ProfileReport(
        id=uuid.uuid4(),
        member_id=command.member_id,
        reporter_id=command.reporter_id,
        kind=command.kind,
        note=command.note,
        status="open",
        created_at=_now(),
    )
    uow.session.add(report)
    message = (
        "A member thinks your profile is out of date. Check it and confirm it is right."
        if command.kind == "out_of_date"
        else "A member reported that you have left your role. Update your profile, or tell "
        "the programme team if this is wrong."
    )
    if command.note:
        message = f"{message} Their note: {command.note}"[:500]
    uow.session.add(
        Notice(
            member_id=command.member_id,
            kind=f"report.{command.kind}",
            message=message,
            created_at=_now(),
        )
    )
    return report


async def resolve_report(report_id: UUID, uow: UnitOfWork) -> ProfileReport:
    report = await uow.session.get(ProfileReport, report_id, with_for_update=True)
    if report is None:
        raise InvalidChange("There is no report with that id.")
    if report.status == "open":
        report.status = "resolved"
        report.resolved_at = _now()
    return report


async def record_profile_view(command: commands.RecordProfileView, uow: UnitOfWork) -> None:
    if command.viewer_id == command.profile_id:
        return
    if await _is_delegate(uow, principal_id=command.profile_id, delegate_id=command.viewer_id):
        return
    uow.session.add(
        ProfileView(
            profile_id=command.profile_id,
            viewer_id=command.viewer_id,
            viewer_is_admin=command.viewer_is_admin,
            viewed_at=_now(),
        )
    )


async def add_organisation(command: commands.AddOrganisation, uow: UnitOfWork) -> Organisation:
    exists = await uow.session.scalar(
        select(Organisation).where(func.lower(Organisation.name) == command.name.strip().lower())
    )
    if exists is not None:
        raise Conflict(f"{exists.name} is already in the list.")
    if (
        command.parent_id is not None
        and await uow.session.get(Organisation, command.parent_id) is None
    ):
        raise InvalidChange("There is no parent organisation with that id.")
    organisation = Organisation(
        id=uuid.uuid4(),
        name=command.name.strip(),
        type=command.type,
        parent_id=command.parent_id,
        added_by=command.added_by,
        created_at=_now(),
    )
    uow.session.add(organisation)
    await uow.publish(
        PublicOrganisationAddedV1(
            organisation_id=organisation.id,
            name=organisation.name,
            type=organisation.type,
            parent_id=organisation.parent_id,
            added_at=organisation.created_at,
        )
    )
    return organisation


async def update_organisation(
    command: commands.UpdateOrganisation, uow: UnitOfWork
) -> Organisation:
    """Rename, retype or re-parent an organisation. A new name reaches every profile that
    shows it (search, internal and public profile events) in the same transaction."""
    organisation = await uow.session.get(
        Organisation, command.organisation_id, with_for_update=True
    )
    if organisation is None:
        raise OrganisationNotFound()
    name = command.name.strip()
    clash = await uow.session.scalar(
        select(Organisation).where(
            func.lower(Organisation.name) == name.lower(), Organisation.id != organisation.id
        )
    )
    if clash is not None:
        raise Conflict(f"{clash.name} is already in the list.")
    if command.parent_id == organisation.id:
        raise InvalidChange("An organisation cannot be its own parent.")
    if (
        command.parent_id is not None
        and await uow.session.get(Organisation, command.parent_id) is None
    ):
        raise InvalidChange("There is no parent organisation with that id.")
    wanted = (name, command.type, command.parent_id)
    if wanted == (organisation.name, organisation.type, organisation.parent_id):
        return organisation
    renamed = name != organisation.name
    organisation.name, organisation.type, organisation.parent_id = wanted
    await uow.publish(
        PublicOrganisationUpdatedV1(
            organisation_id=organisation.id,
            name=organisation.name,
            type=organisation.type,
            parent_id=organisation.parent_id,
            updated_at=_now(),
        )
    )
    if renamed:
        members = await uow.session.scalars(
            select(Profile).where(Profile.organisation_id == organisation.id).with_for_update()
        )
        for profile in members.all():
            profile.organisation = organisation.name
            profile.updated_at = _now()
            await _changed(uow, profile)
    return organisation


async def add_expertise_tag(command: commands.AddExpertiseTag, uow: UnitOfWork) -> ExpertiseTag:
    if await uow.session.get(ExpertiseTag, command.slug) is not None:
        raise Conflict(f"The tag {command.slug} already exists.")
    tag = ExpertiseTag(
        slug=command.slug, label=command.label, added_by=command.added_by, created_at=_now()
    )
    uow.session.add(tag)
    return tag


# -- maintenance ----------------------------------------------------------------------------

STALE_MESSAGE = (
    "Your profile has not been confirmed for 12 months. Check it is still right and press "
    "'Confirm', so others can trust it."
)


async def flag_stale_profiles(command: commands.FlagStaleProfiles, uow: UnitOfWork) -> int:
    """Flag each newly stale listed profile once and leave its owner a notice; returns how many."""
    flagged = (
        await uow.session.scalars(
            update(Profile)
            .where(
                Profile.status == ProfileStatus.PUBLISHED,
                Profile.active.is_(True),
                Profile.confirmed_at < command.now - STALE_AFTER,
                Profile.stale_since.is_(None),
            )
            .values(stale_since=command.now)
            .returning(Profile.member_id)
        )
    ).all()
    for member_id in flagged:
        uow.session.add(
            Notice(member_id=member_id, kind="stale", message=STALE_MESSAGE, created_at=command.now)
        )
    return len(flagged)


async def expire_contact_requests(command: commands.ExpireContactRequests, uow: UnitOfWork) -> int:
    result = await uow.session.execute(
        update(ContactRequest)
        .where(ContactRequest.status == "pending", ContactRequest.expires_at <= command.now)
        .values(status="expired")
        .returning(ContactRequest.id)
    )
    return len(result.all())

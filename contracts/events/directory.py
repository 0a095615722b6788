"""Events published by the directory service.

Privacy: a profile event carries a member's private fields (email, phone, assistant, bio,
photo) only while the member has made them visible to all `members`; a field that is null
means "not shared with everyone", and a reader must drop any copy it holds. Narrower settings
(`cohort`, `connections`, `hidden`) never leave the directory.

Sector and region are plain strings (see the directory API guide for their values), not enums,
so a reader built today keeps working when a value is added.

The events on `directory.*` topics are internal (Convene services only). Other departments
(issue 9) read `public.directory.organisation.v1` and `public.directory.profile.v1`. A public
profile event carries only what the member chose to share with `departments` (a visibility
level above `members`, off by default), built by the same projection as the internal events
(services/directory/events.py) with a narrower field list.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar
from uuid import UUID

from pydantic import Field, SerializerFunctionWrapHandler, model_serializer

from contracts.base import IntegrationEvent

PROFILE_TOPIC = "directory.profile.v1"
CONTACT_REQUEST_TOPIC = "directory.contact_request.v1"
PUBLIC_ORGANISATION_TOPIC = "public.directory.organisation.v1"
PUBLIC_PROFILE_TOPIC = "public.directory.profile.v1"


class _ProfileEvent(IntegrationEvent):
    topic: ClassVar[str] = PROFILE_TOPIC
    subject_field: ClassVar[str] = "member_id"

    member_id: UUID


class _ProfileSnapshot(_ProfileEvent):
    """The whole profile as every member may see it, so a reader can replace its copy."""

    full_name: str
    preferred_name: str | None = None
    job_title: str | None = None
    organisation_id: UUID | None = Field(
        default=None, description="An id from the directory's organisation list."
    )
    organisation_name: str = Field(description="The organisation's name as displayed.")
    sector: str | None = Field(default=None, description="e.g. central_government, nhs_health.")
    region: str | None = Field(default=None, description="A UK ITL1 region, e.g. london, wales.")
    expertise: list[str] = Field(default_factory=list, description="Expertise tag slugs.")
    languages: list[str] = Field(default_factory=list)
    cohort_ids: list[UUID] = Field(default_factory=list)
    bio: str | None = Field(default=None, description="Null unless visible to all members.")
    email: str | None = Field(default=None, description="Null unless visible to all members.")
    phone: str | None = Field(default=None, description="Null unless visible to all members.")
    assistant_name: str | None = Field(default=None, description="Null unless members-visible.")
    assistant_email: str | None = Field(default=None, description="Null unless members-visible.")
    assistant_phone: str | None = Field(default=None, description="Null unless members-visible.")
    has_photo: bool = Field(default=False, description="A members-visible photo exists.")
    published_at: datetime
    updated_at: datetime
    confirmed_at: datetime | None = None


class ProfilePublishedV1(_ProfileSnapshot):
    """A member published their profile: it now appears in the directory."""

    event_type: ClassVar[str] = "directory.profile.published.v1"


class ProfileUpdatedV1(_ProfileSnapshot):
    """A published profile changed (fields, visibility, cohort, organisation or freshness)."""

    event_type: ClassVar[str] = "directory.profile.updated.v1"


class ProfileRemovedV1(_ProfileEvent):
    """A profile left the directory: unpublished, the member deactivated, or erased.

    On `erased`, readers must delete everything they hold about the member.
    """

    event_type: ClassVar[str] = "directory.profile.removed.v1"

    reason: str = Field(description="unpublished, deactivated or erased.")
    removed_at: datetime


class _ContactRequestEvent(IntegrationEvent):
    topic: ClassVar[str] = CONTACT_REQUEST_TOPIC
    subject_field: ClassVar[str] = "request_id"

    request_id: UUID
    requester_id: UUID
    recipient_id: UUID


class ContactRequestMadeV1(_ContactRequestEvent):
    """A member asked another for contact; notifications tell the recipient."""

    event_type: ClassVar[str] = "directory.contact_request.made.v1"

    reason: str = Field(max_length=500)
    made_by: UUID = Field(description="The requester, or their delegate acting for them.")
    created_at: datetime
    expires_at: datetime


class ContactRequestAcceptedV1(_ContactRequestEvent):
    """The recipient (or their delegate) accepted: the two are now connections."""

    event_type: ClassVar[str] = "directory.contact_request.accepted.v1"

    decided_by: UUID = Field(description="The recipient, or their delegate acting for them.")
    decided_at: datetime


class ContactRequestDeclinedV1(_ContactRequestEvent):
    """The recipient (or their delegate) declined."""

    event_type: ClassVar[str] = "directory.contact_request.declined.v1"

    decided_by: UUID = Field(description="The recipient, or their delegate acting for them.")
    decided_at: datetime


# -- public (issue 9) -------------------------------------------------------------------------


class PublicOrganisationAddedV1(IntegrationEvent):
    """An organisation was added to the directory's list (by a programme admin). Public."""

    event_type: ClassVar[str] = "public.directory.organisation.added.v1"
    topic: ClassVar[str] = PUBLIC_ORGANISATION_TOPIC
    public: ClassVar[bool] = True
    subject_field: ClassVar[str] = "organisation_id"

    organisation_id: UUID
    name: str = Field(min_length=1, max_length=200)
    type: str = Field(description="e.g. ministerial_department, local_authority, nhs_body.")
    parent_id: UUID | None = Field(default=None, description="The parent organisation, if any.")
    added_at: datetime


class PublicOrganisationUpdatedV1(IntegrationEvent):
    """An organisation in the list was renamed, retyped or re-parented; the whole new snapshot.

    Public. Leaders' entries that share their organisation follow as profile updates.
    """

    event_type: ClassVar[str] = "public.directory.organisation.updated.v1"
    topic: ClassVar[str] = PUBLIC_ORGANISATION_TOPIC
    public: ClassVar[bool] = True
    subject_field: ClassVar[str] = "organisation_id"

    organisation_id: UUID
    name: str = Field(min_length=1, max_length=200)
    type: str = Field(description="e.g. ministerial_department, local_authority, nhs_body.")
    parent_id: UUID | None = Field(default=None, description="The parent organisation, if any.")
    updated_at: datetime


class _PublicProfileEvent(IntegrationEvent):
    topic: ClassVar[str] = PUBLIC_PROFILE_TOPIC
    public: ClassVar[bool] = True
    subject_field: ClassVar[str] = "member_id"

    member_id: UUID = Field(description="Stable id of the entry, so updates and removals match.")


class _PublicProfileSnapshot(_PublicProfileEvent):
    """A leader's public directory entry: exactly the fields they share with departments.

    `shared` names the member's choices (name, job_title, organisation, sector, region,
    expertise, languages, bio, email, phone, assistant); a field whose choice is not in
    `shared` is absent from the message (not null). The whole entry comes every time, so a
    reader replaces its copy and drops anything no longer present.
    """

    shared: list[str] = Field(min_length=1, description="The member's choices shared, sorted.")
    full_name: str | None = None
    preferred_name: str | None = None
    job_title: str | None = None
    organisation_id: UUID | None = None
    organisation_name: str | None = None
    sector: str | None = None
    region: str | None = None
    expertise: list[str] | None = Field(default=None, description="Expertise tag slugs.")
    languages: list[str] | None = None
    bio: str | None = None
    email: str | None = None
    phone: str | None = None
    assistant_name: str | None = None
    assistant_email: str | None = None
    assistant_phone: str | None = None
    changed_at: datetime

    @model_serializer(mode="wrap")
    def _without_unshared(self, handler: SerializerFunctionWrapHandler) -> dict[str, object]:
        # Absent rather than null: the message itself then holds nothing the member kept back.
        data: dict[str, object] = handler(self)
        return {key: value for key, value in data.items() if value is not None}


class PublicProfilePublishedV1(_PublicProfileSnapshot):
    """A leader's entry became visible to departments: they listed their profile with at least
    one field shared with departments, or shared their first field."""

    event_type: ClassVar[str] = "public.directory.profile.published.v1"


class PublicProfileUpdatedV1(_PublicProfileSnapshot):
    """Something the leader shares with departments changed (a value, or which fields)."""

    event_type: ClassVar[str] = "public.directory.profile.updated.v1"


class PublicProfileRemovedV1(_PublicProfileEvent):
    """The entry is gone: the leader stopped sharing every field, unlisted their profile, was
    deactivated or erased. Readers must delete their copy."""

    event_type: ClassVar[str] = "public.directory.profile.removed.v1"

    removed_at: datetime

"""Directory's API schemas, named for their use."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, field_validator

from services.directory.domain.model import (
    LISTED_LEVELS,
    NEVER_FOR_DEPARTMENTS,
    ListedField,
    OrganisationType,
    PrivateField,
    Region,
    Sector,
    Visibility,
)
from services.directory.domain.search_query import MAX_QUERY_CHARS

BIO_MAX_CHARS = 2000
REASON_MIN_CHARS, REASON_MAX_CHARS = 10, 500
REPORT_NOTE_MAX_CHARS = 1000

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Phone = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=3, max_length=40, pattern=r"^[0-9+() \-]+$"
    ),
]
Language = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=40)]
TagSlug = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=2, max_length=60, pattern=r"^[a-z0-9-]+$"),
]


class Strict(BaseModel):
    """Request bodies refuse unknown fields, so a typo is a 422, not a silent no-op."""

    model_config = ConfigDict(extra="forbid")


class AssistantWrite(Strict):
    name: ShortText | None = None
    email: EmailStr | None = None
    phone: Phone | None = None


class ProfileUpdate(Strict):
    """Only the fields sent change; send null to clear one."""

    preferred_name: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None
    ) = None
    job_title: ShortText | None = None
    organisation_id: UUID | None = Field(default=None, description="An id from GET /organisations.")
    sector: Sector | None = None
    region: Region | None = None
    bio: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=BIO_MAX_CHARS)] | None
    ) = None
    expertise: list[TagSlug] | None = Field(
        default=None, max_length=15, description="Tag slugs from GET /expertise."
    )
    languages: list[Language] | None = Field(default=None, max_length=10)
    email: EmailStr | None = None
    phone: Phone | None = None
    assistant: AssistantWrite | None = None
    visibility: dict[PrivateField | ListedField, Visibility] | None = Field(
        default=None,
        description=(
            "Who may see each field (partial: others unchanged). Private fields take any level; "
            "listed fields (name, job_title, organisation, sector, region, expertise, "
            "languages) only `members` or `departments`. `departments` (off by default) also "
            "sends the field to other departments in public events; never for the photo."
        ),
    )

    @field_validator("visibility")
    @classmethod
    def _levels_each_field_may_have(
        cls, value: dict[PrivateField | ListedField, Visibility] | None
    ) -> dict[PrivateField | ListedField, Visibility] | None:
        for field, level in (value or {}).items():
            if isinstance(field, ListedField) and level not in LISTED_LEVELS:
                raise ValueError(
                    f"{field.value} is seen by every member; choose members or departments"
                )
            if field in NEVER_FOR_DEPARTMENTS and level is Visibility.DEPARTMENTS:
                raise ValueError(f"{field.value} cannot be shared with departments")
        return value

    @field_validator("languages")
    @classmethod
    def _languages(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        for language in value:
            if not re.fullmatch(r"[^\W\d_][^\W\d_ '\-]*(?:[ '\-][^\W\d_]+)*", language):
                raise ValueError(f"{language!r} is not a language name")
        return list(dict.fromkeys(value))


class TagRead(BaseModel):
    slug: str
    label: str


class CohortRead(BaseModel):
    id: UUID
    name: str
    year: int


class AssistantRead(BaseModel):
    name: str | None = None
    email: str | None = None
    phone: str | None = None


class MissingItemRead(BaseModel):
    item: str
    hint: str


class CompletenessRead(BaseModel):
    score: int = Field(description="0 to 100.")
    missing: list[MissingItemRead]


class ProfileRead(BaseModel):
    """A profile as the caller may see it: private fields they may not see are null."""

    member_id: UUID
    full_name: str
    preferred_name: str | None = None
    job_title: str | None = None
    organisation: str
    organisation_id: UUID | None = None
    sector: str | None = None
    region: str | None = None
    expertise: list[TagRead] = []
    languages: list[str] = []
    cohorts: list[CohortRead] = []
    bio: str | None = None
    email: str | None = None
    phone: str | None = None
    assistant: AssistantRead | None = None
    photo_url: str | None = None
    status: str
    stale: bool = False
    created_at: datetime
    updated_at: datetime | None = None
    published_at: datetime | None = None
    confirmed_at: datetime | None = None
    relation: list[str] = Field(
        default=[], description="How the caller stands to this member: self, delegate, ..."
    )
    #: Only for the member and their delegates.
    visibility: dict[str, str] | None = None
    completeness: CompletenessRead | None = None


class ProfileCard(BaseModel):
    """One search result."""

    member_id: UUID
    full_name: str
    preferred_name: str | None = None
    job_title: str | None = None
    organisation: str
    organisation_id: UUID | None = None
    sector: str | None = None
    region: str | None = None
    expertise: list[TagRead] = []
    cohorts: list[CohortRead] = []
    email: str | None = None
    phone: str | None = None
    assistant: AssistantRead | None = None
    photo_url: str | None = None
    stale: bool = False
    snippet: str | None = Field(
        default=None, description="HTML-escaped bio extract, matches in <mark>."
    )


_ALTERNATIVES = "Several values are alternatives: repeat the parameter or separate with commas."


class SearchQuery(BaseModel):
    """The query string of `GET /profiles`, read in one validation (api/query_model.py)."""

    q: str = Field(
        "",
        max_length=MAX_QUERY_CHARS,
        description="Words to look for in names, titles, organisations, expertise and bios.",
    )
    sector: list[str] = Field([], description=f"Sector values. {_ALTERNATIVES}")
    region: list[str] = Field([], description=f"Region values. {_ALTERNATIVES}")
    organisation: list[str] = Field([], description=f"Organisation ids. {_ALTERNATIVES}")
    cohort: list[str] = Field([], description=f"Cohort ids. {_ALTERNATIVES}")
    expertise: list[str] = Field([], description=f"Expertise tag slugs. {_ALTERNATIVES}")
    sort: Literal["relevance", "name"] = Field(
        "relevance", description="`relevance` needs words in `q`; without them, by name."
    )
    facets: list[str] = Field(
        [], description="Facets to count: sector, region, organisation, cohort, expertise."
    )
    limit: int = Field(20, ge=1, le=100)
    cursor: str | None = Field(
        None, max_length=400, description="`next_cursor` from the previous page."
    )


class FacetValue(BaseModel):
    value: str
    label: str | None = None
    count: int


class SearchResults(BaseModel):
    items: list[ProfileCard]
    next_cursor: str | None = None
    capped: bool = Field(
        default=False,
        description="More profiles matched than are ranked; add words or filters to narrow.",
    )
    facets: dict[str, list[FacetValue]] = {}


class OrganisationCreate(Strict):
    name: ShortText
    type: OrganisationType
    parent_id: UUID | None = None


class OrganisationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    name: str
    type: str
    parent_id: UUID | None = None


class OrganisationPage(BaseModel):
    items: list[OrganisationRead]
    next_cursor: str | None = None


class ExpertiseTagCreate(Strict):
    label: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=80)]
    slug: TagSlug | None = None


class ContactRequestCreate(Strict):
    recipient_id: UUID
    reason: Annotated[
        str,
        StringConstraints(
            strip_whitespace=True, min_length=REASON_MIN_CHARS, max_length=REASON_MAX_CHARS
        ),
    ]
    on_behalf_of: UUID | None = Field(
        default=None, description="A delegate sends for their principal."
    )


class ContactRequestRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    requester_id: UUID
    requester_name: str | None = None
    recipient_id: UUID
    recipient_name: str | None = None
    reason: str
    status: str
    created_at: datetime
    expires_at: datetime
    decided_at: datetime | None = None
    decided_by: UUID | None = None
    made_by: UUID | None = None


class ContactRequestPage(BaseModel):
    items: list[ContactRequestRead]
    next_cursor: str | None = None


class Decision(Strict):
    decision: Literal["accept", "decline"]


class BlockCreate(Strict):
    member_id: UUID


class DelegateCreate(Strict):
    delegate_id: UUID


class DelegateRead(BaseModel):
    delegate_id: UUID
    name: str | None = None
    created_at: datetime


class MemberRef(BaseModel):
    member_id: UUID
    name: str | None = None
    since: datetime


class ReportCreate(Strict):
    kind: Literal["out_of_date", "leaver"]
    note: Annotated[
        str, StringConstraints(strip_whitespace=True, max_length=REPORT_NOTE_MAX_CHARS)
    ] = ""


class ReportRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    member_id: UUID
    kind: str
    note: str
    status: str
    created_at: datetime
    resolved_at: datetime | None = None
    #: Only programme admins see who reported.
    reporter_id: UUID | None = None


class NoticeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    message: str
    created_at: datetime


class ViewRead(BaseModel):
    viewer_id: UUID
    viewer_name: str | None = None
    profile_id: UUID
    viewed_at: datetime
    viewer_is_admin: bool = False


class ViewPage(BaseModel):
    items: list[ViewRead]
    next_cursor: str | None = None


class ActivityRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    actor_id: UUID | None
    as_delegate: bool
    action: str
    details: dict[str, object]
    at: datetime


class ActivityPage(BaseModel):
    items: list[ActivityRead]
    next_cursor: str | None = None

"""What a search's answer holds: plain values, the same for every viewer, kept in memory."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from services.directory.adapters.search.filters import SearchCursor, SearchFilters
from services.directory.domain.search_query import SearchTerms


@dataclass(frozen=True, slots=True)
class CohortRef:
    id: UUID
    name: str
    year: int


@dataclass(frozen=True, slots=True)
class ListedProfile:
    """What a result card is projected from, per viewer: a snapshot of plain values, not an
    ORM entity, so it can outlive its session (replicas keep answers in memory)."""

    member_id: UUID
    full_name: str
    preferred_name: str | None
    job_title: str | None
    #: The invitation's free text, shown while no listed organisation is linked.
    organisation: str
    organisation_id: UUID | None
    organisation_name: str | None
    sector: str | None
    region: str | None
    expertise: tuple[str, ...]
    email: str | None
    phone: str | None
    assistant_name: str | None
    assistant_email: str | None
    assistant_phone: str | None
    has_photo: bool
    visibility: dict[str, str]
    confirmed_at: datetime | None
    cohorts: tuple[CohortRef, ...]
    #: What a viewer's cohorts are compared with, on every search this card is shown in.
    cohort_ids: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "cohort_ids", frozenset(str(c.id) for c in self.cohorts))


@dataclass(frozen=True)
class SearchHit:
    profile: ListedProfile
    #: The rank (relevance) or the sort name (name): what the cursor resumes from.
    sort_key: float | str
    snippet: str | None = None

    @property
    def member_id(self) -> UUID:
        return self.profile.member_id


@dataclass(frozen=True)
class SearchOutcome:
    """The same for every viewer: privacy is applied when each card is projected."""

    hits: tuple[SearchHit, ...]
    next_cursor: str | None
    #: More profiles matched than were ranked: refine the search or add filters.
    capped: bool = False
    facets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


@dataclass(frozen=True)
class SearchRequest:
    """Everything a search's answer depends on, viewer aside (hashable: the cache key)."""

    terms: SearchTerms
    filters: SearchFilters
    sort: str
    limit: int
    after: SearchCursor | None = None
    facets: tuple[str, ...] = ()

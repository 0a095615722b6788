"""Search filters (facet values) and the keyset cursor bound to the search it came from."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import Boolean, ColumnElement, bindparam, literal_column, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import String

from services.directory.adapters.orm import CohortMembership, Profile
from services.directory.domain.search_query import SearchTerms

FACETS = ("sector", "region", "organisation", "cohort", "expertise")


@dataclass(frozen=True)
class SearchFilters:
    """Within a facet values are alternatives (OR); across facets all must hold (AND)."""

    sector: tuple[str, ...] = ()
    region: tuple[str, ...] = ()
    organisation: tuple[UUID, ...] = ()
    cohort: tuple[UUID, ...] = ()
    expertise: tuple[str, ...] = ()

    def conditions(self, *, skip: str | None = None) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.sector and skip != "sector":
            found.append(Profile.sector.in_(self.sector))
        if self.region and skip != "region":
            found.append(Profile.region.in_(self.region))
        if self.organisation and skip != "organisation":
            found.append(Profile.organisation_id.in_(self.organisation))
        if self.expertise and skip != "expertise":
            found.append(
                Profile.expertise.overlap(
                    bindparam("expertise_any", list(self.expertise), type_=ARRAY(String(60)))
                )
            )
        if self.cohort and skip != "cohort":
            found.append(
                Profile.member_id.in_(
                    select(CohortMembership.member_id).where(
                        CohortMembership.cohort_id.in_(self.cohort)
                    )
                )
            )
        return found

    def fingerprint(self, terms: SearchTerms, sort: str) -> str:
        payload = json.dumps(
            [
                list(terms.terms),
                sort,
                sorted(self.sector),
                sorted(self.region),
                sorted(str(o) for o in self.organisation),
                sorted(str(c) for c in self.cohort),
                sorted(self.expertise),
            ]
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


class BadCursor(ValueError):
    pass


@dataclass(frozen=True)
class SearchCursor:
    """Where the previous page ended, bound to the query it came from."""

    key: float | str
    member_id: UUID
    fingerprint: str

    def encode(self) -> str:
        raw = json.dumps([self.key, str(self.member_id), self.fingerprint]).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str, *, fingerprint: str, sort: str) -> SearchCursor:
        try:
            if len(token) > 400:
                raise ValueError("too long")
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            key, member_id, mark = json.loads(raw)
            if sort == "relevance" and not isinstance(key, int | float):
                raise ValueError("key")
            if sort == "name" and not isinstance(key, str):
                raise ValueError("key")
            cursor = cls(key, UUID(member_id), str(mark))
        except (ValueError, TypeError, UnicodeDecodeError) as exc:
            raise BadCursor("The page cursor is not valid.") from exc
        if cursor.fingerprint != fingerprint:
            raise BadCursor("The page cursor belongs to a different search.")
        return cursor


def listed() -> list[ColumnElement[bool]]:
    # Literal SQL, not bound parameters: the planner must see the partial indexes' own
    # predicate (status = 'published' AND active) to use them, even in a generic plan.
    return [literal_column("profiles.status = 'published' AND profiles.active", Boolean)]

"""Profile search: the index (what it holds), typo tolerance, relevance, facets.

Privacy by construction: the index holds only what every member may see (names, job title,
organisation, expertise, sector, region, and the bio only while it is `members`-visible), so no
query, snippet, sort or count can reveal a narrower field. Contact fields are never indexed.

Cost is bounded: at most MAX_TERMS terms, at most `candidate_cap` matches ranked (the first in
index order; `capped` says when there were more), a statement timeout on every search.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    JSON,
    Boolean,
    ColumnElement,
    Float,
    Integer,
    and_,
    bindparam,
    func,
    literal_column,
    or_,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import String, Text

from services.directory.adapters.orm import (
    Cohort,
    CohortMembership,
    ExpertiseTag,
    Organisation,
    Profile,
)
from services.directory.domain.search_query import (
    MARK_START,
    MARK_STOP,
    SearchTerms,
    WordChoices,
    snippet,
)

_REFRESH = text(
    """
    UPDATE profiles AS p SET search_vector = CASE WHEN p.status = 'published' THEN
        setweight(to_tsvector('simple',
            coalesce(p.full_name, '') || ' ' || coalesce(p.preferred_name, '')), 'A')
        || setweight(to_tsvector('simple',
            coalesce(p.job_title, '') || ' ' || coalesce(o.name, p.organisation)), 'B')
        || setweight(to_tsvector('simple', coalesce(
            (SELECT string_agg(t.label, ' ') FROM expertise_tags t
             WHERE t.slug = ANY (p.expertise)), '')), 'B')
        || setweight(to_tsvector('simple',
            replace(coalesce(p.sector, ''), '_', ' ') || ' '
            || replace(coalesce(p.region, ''), '_', ' ')), 'C')
        || setweight(to_tsvector('simple',
            CASE WHEN p.visibility ->> 'bio' IN ('members', 'departments')
            THEN coalesce(p.bio, '') ELSE '' END), 'D')
    END
    FROM profiles AS p2 LEFT JOIN organisations AS o ON o.id = p2.organisation_id
    WHERE p2.member_id = p.member_id
      AND (CAST(:member_id AS uuid) IS NULL OR p.member_id = CAST(:member_id AS uuid))
    """
)

_REMEMBER_WORDS = text(
    """
    INSERT INTO search_words (word)
    SELECT DISTINCT w FROM profiles, unnest(tsvector_to_array(search_vector)) AS w
    WHERE search_vector IS NOT NULL
      AND (CAST(:member_id AS uuid) IS NULL OR member_id = CAST(:member_id AS uuid))
      AND length(w) BETWEEN 3 AND 100 AND w ~ '^[[:alnum:]]+$'
    ON CONFLICT DO NOTHING
    """
)


async def refresh_search_index(session: AsyncSession, member_id: UUID | None) -> None:
    """Rebuild the index entry of one profile (or of all, with None) from its current state.

    Call after any change to a profile, its organisation's name or its visibility.
    """
    params = {"member_id": str(member_id) if member_id else None}
    await session.execute(_REFRESH, params)
    await session.execute(_REMEMBER_WORDS, params)


async def forget_words(session: AsyncSession, words: Sequence[str]) -> None:
    """Drop vocabulary words no listed profile holds any more (after an erasure)."""
    if not words:
        return
    await session.execute(
        text(
            """
            DELETE FROM search_words AS w WHERE w.word = ANY (CAST(:words AS text[]))
            AND NOT EXISTS (SELECT 1 FROM profiles p WHERE p.status = 'published' AND p.active
                            AND p.search_vector @@ plainto_tsquery('simple', w.word))
            """
        ),
        {"words": list(words)},
    )


async def indexed_words(session: AsyncSession, member_id: UUID) -> list[str]:
    rows = await session.execute(
        text(
            "SELECT unnest(tsvector_to_array(search_vector)) FROM profiles "
            "WHERE member_id = :member_id AND search_vector IS NOT NULL"
        ),
        {"member_id": member_id},
    )
    return [row[0] for row in rows]


#: A typed prefix completes to at most this many vocabulary words; beyond that the query keeps
#: the (slower, unbounded) `term:*` prefix scan, so nothing that matched before is lost.
MAX_COMPLETIONS = 40

_EXPAND = text(
    """
    SELECT t.term, c.word, false AS similar
    FROM unnest(CAST(:prefixed AS text[])) AS t(term)
    CROSS JOIN LATERAL (
        SELECT word FROM search_words
        WHERE word ~>=~ t.term AND word ~<~ (t.term || chr(1114111))
        LIMIT :completions
    ) AS c
    UNION ALL
    SELECT t.term, s.word, true
    FROM unnest(CAST(:fuzzy AS text[])) AS t(term)
    CROSS JOIN LATERAL (
        SELECT word FROM search_words
        WHERE word % t.term AND word <> t.term
          AND NOT EXISTS (SELECT 1 FROM search_words e WHERE e.word = t.term)
        ORDER BY word <-> t.term LIMIT 3
    ) AS s
    """
)


async def expand_terms(session: AsyncSession, terms: SearchTerms) -> WordChoices:
    """What each term may match, from the vocabulary, in one statement: the whole words a
    prefix completes to (exact GIN lookups are far cheaper than a `term:*` scan), and for
    longer terms that are not themselves indexed words, up to 3 indexed words that look like
    them (pg_trgm similarity): "chelmsfrod" -> ["chelmsford"]."""
    prefixed = list(terms.prefix_terms())
    fuzzy = list(terms.fuzzy_terms())
    if not prefixed and not fuzzy:
        return WordChoices()
    rows = await session.execute(
        _EXPAND,
        {"prefixed": prefixed, "fuzzy": fuzzy, "completions": MAX_COMPLETIONS + 1},
    )
    choices = WordChoices()
    for term, word, similar in rows:
        found = choices.similar if similar else choices.completions
        found.setdefault(term, []).append(word)
    return choices


# -- filters, cursors -----------------------------------------------------------------------

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


# -- search -----------------------------------------------------------------------------------


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


def _listed() -> list[ColumnElement[bool]]:
    # Literal SQL, not bound parameters: the planner must see the partial indexes' own
    # predicate (status = 'published' AND active) to use them, even in a generic plan.
    return [literal_column("profiles.status = 'published' AND profiles.active", Boolean)]


def _ts_query(tsquery: str) -> ColumnElement[Any]:
    return func.to_tsquery(text("'simple'::regconfig"), bindparam("tsq", tsquery, type_=Text))


async def _text_condition(session: AsyncSession, terms: SearchTerms) -> ColumnElement[Any]:
    condition, _ = await _text_query(session, terms)
    return condition


async def _text_query(
    session: AsyncSession, terms: SearchTerms
) -> tuple[ColumnElement[Any], WordChoices]:
    choices = await expand_terms(session, terms)
    return _ts_query(terms.tsquery(choices, max_completions=MAX_COMPLETIONS)), choices


#: A profile's cohorts, newest first, as [[id, name, year], ...] (one row per card, no
#: second round trip).
_CARD_COHORTS = literal_column(
    """(SELECT coalesce(json_agg(json_build_array(c.id, c.name, c.year)
                                 ORDER BY c.year DESC, c.name), '[]'::json)
        FROM cohort_memberships AS m JOIN cohorts AS c ON c.id = m.cohort_id
        WHERE m.member_id = profiles.member_id)""",
    JSON,
).label("cohorts")

#: A card's columns: plain rows, not entities (loading 21 ORM entities per page cost more
#: Python time than the statement took in PostgreSQL).
_CARD_COLUMNS = (
    Profile.member_id,
    Profile.full_name,
    Profile.preferred_name,
    Profile.job_title,
    Profile.organisation,
    Profile.organisation_id,
    Organisation.name.label("organisation_name"),
    Profile.sector,
    Profile.region,
    Profile.expertise,
    Profile.email,
    Profile.phone,
    Profile.assistant_name,
    Profile.assistant_email,
    Profile.assistant_phone,
    Profile.has_photo,
    Profile.visibility,
    Profile.confirmed_at,
    Profile.bio,
    _CARD_COHORTS,
)


def _listed_profile(row: Any) -> ListedProfile:
    return ListedProfile(
        member_id=row.member_id,
        full_name=row.full_name,
        preferred_name=row.preferred_name,
        job_title=row.job_title,
        organisation=row.organisation,
        organisation_id=row.organisation_id,
        organisation_name=row.organisation_name,
        sector=row.sector,
        region=row.region,
        expertise=tuple(row.expertise or ()),
        email=row.email,
        phone=row.phone,
        assistant_name=row.assistant_name,
        assistant_email=row.assistant_email,
        assistant_phone=row.assistant_phone,
        has_photo=bool(row.has_photo),
        visibility=dict(row.visibility or {}),
        confirmed_at=row.confirmed_at,
        cohorts=tuple(CohortRef(UUID(c[0]), c[1], c[2]) for c in row.cohorts),
    )


def _bio_snippet(row: Any, terms: SearchTerms, choices: WordChoices) -> str | None:
    """From the members-visible bio only (never a narrower field), and only when it matched."""
    if (row.visibility or {}).get("bio") not in ("members", "departments"):
        return None
    return snippet(row.bio, terms, choices)


async def answer(
    session: AsyncSession, request: SearchRequest, *, candidate_cap: int, timeout_ms: int
) -> SearchOutcome:
    """A page of results and the facet counts asked for."""
    outcome = await search_profiles(
        session,
        terms=request.terms,
        filters=request.filters,
        sort=request.sort,
        limit=request.limit,
        after=request.after,
        candidate_cap=candidate_cap,
        timeout_ms=timeout_ms,
    )
    if not request.facets:
        return outcome
    facets = await facet_counts(
        session, terms=request.terms, filters=request.filters, wanted=request.facets
    )
    return replace(outcome, facets=facets)


async def search_profiles(
    session: AsyncSession,
    *,
    terms: SearchTerms,
    filters: SearchFilters,
    sort: str,
    limit: int,
    after: SearchCursor | None,
    candidate_cap: int,
    timeout_ms: int,
) -> SearchOutcome:
    """One page of listed profiles, best first (relevance) or by name, each with what its
    card needs (profile, organisation, cohorts, snippet): one statement after the vocabulary
    lookup.

    Relevance ranks at most `candidate_cap` matches; keyset pages over (rank, member_id) or
    (sort_name, member_id) stay stable when profiles are added between pages.
    """
    await session.execute(text(f"SET LOCAL statement_timeout = {int(timeout_ms)}"))
    fingerprint = filters.fingerprint(terms, sort)
    conditions = _listed() + filters.conditions()
    ts_query = None
    choices = WordChoices()
    if terms:
        ts_query, choices = await _text_query(session, terms)
        conditions.append(Profile.search_vector.op("@@")(ts_query))
    relevance = sort == "relevance" and ts_query is not None
    if relevance:
        assert ts_query is not None
        candidates = (
            select(Profile.member_id, Profile.search_vector)
            .where(*conditions)
            .limit(candidate_cap + 1)
            .cte("candidates")
        )
        rank = func.ts_rank(candidates.c.search_vector, ts_query).cast(Float).label("sort_key")
        matched = func.count().over().label("matched")
        ranked = select(candidates.c.member_id, rank, matched).subquery("ranked")
        query = select(ranked.c.member_id, ranked.c.sort_key, ranked.c.matched)
        if after is not None:
            key = float(after.key)
            query = query.where(
                or_(
                    ranked.c.sort_key < key,
                    and_(ranked.c.sort_key == key, ranked.c.member_id > after.member_id),
                )
            )
        query = query.order_by(ranked.c.sort_key.desc(), ranked.c.member_id)
    else:
        query = select(
            Profile.member_id,
            Profile.sort_name.label("sort_key"),
            literal_column("0", Integer).label("matched"),
        ).where(*conditions)
        if after is not None:
            key_name = str(after.key)
            query = query.where(
                or_(
                    Profile.sort_name > key_name,
                    and_(Profile.sort_name == key_name, Profile.member_id > after.member_id),
                )
            )
        query = query.order_by(Profile.sort_name, Profile.member_id)
    page = query.limit(limit + 1).subquery("page")
    cards = (
        select(*_CARD_COLUMNS, page.c.sort_key, page.c.matched)
        .select_from(page)
        .join(Profile, Profile.member_id == page.c.member_id)
        .outerjoin(Organisation, Organisation.id == Profile.organisation_id)
        .order_by(
            page.c.sort_key.desc() if relevance else page.c.sort_key,
            page.c.member_id,
        )
    )
    rows = (await session.execute(cards)).all()
    # `matched` is counted before the cursor's filter: every page says whether it is capped.
    capped = relevance and bool(rows) and rows[0].matched > candidate_cap
    hits = [
        SearchHit(
            profile=_listed_profile(row),
            sort_key=float(row.sort_key) if relevance else str(row.sort_key),
            snippet=_bio_snippet(row, terms, choices),
        )
        for row in rows
    ]
    next_cursor = None
    if len(hits) > limit:
        hits = hits[:limit]
        last = hits[-1]
        next_cursor = SearchCursor(last.sort_key, last.member_id, fingerprint).encode()
    return SearchOutcome(hits=tuple(hits), next_cursor=next_cursor, capped=capped)


# -- facets -----------------------------------------------------------------------------------

FACET_LIMIT = 50


async def facet_counts(
    session: AsyncSession,
    *,
    terms: SearchTerms,
    filters: SearchFilters,
    wanted: Sequence[str],
) -> dict[str, list[dict[str, Any]]]:
    """Counts of listed profiles per facet value, under the text query and every filter except
    the facet's own (so the other values of a facet you filtered on still show their counts).
    At most FACET_LIMIT values per facet, largest first."""
    text_conditions: list[ColumnElement[bool]] = []
    if terms:
        text_conditions.append(
            Profile.search_vector.op("@@")(await _text_condition(session, terms))
        )
    result: dict[str, list[dict[str, Any]]] = {}
    for facet in wanted:
        where = _listed() + text_conditions + filters.conditions(skip=facet)
        result[facet] = await _facet(session, facet, where)
    return result


async def _facet(
    session: AsyncSession, facet: str, where: list[ColumnElement[bool]]
) -> list[dict[str, Any]]:
    count = func.count().label("count")
    if facet in ("sector", "region"):
        column = Profile.sector if facet == "sector" else Profile.region
        rows = await session.execute(
            select(column, count)
            .where(*where, column.is_not(None))
            .group_by(column)
            .order_by(count.desc(), column)
            .limit(FACET_LIMIT)
        )
        return [{"value": value, "count": n} for value, n in rows]
    if facet == "organisation":
        rows = await session.execute(
            select(Organisation.id, Organisation.name, count)
            .select_from(Profile)
            .join(Organisation, Organisation.id == Profile.organisation_id)
            .where(*where)
            .group_by(Organisation.id, Organisation.name)
            .order_by(count.desc(), Organisation.name)
            .limit(FACET_LIMIT)
        )
        return [{"value": str(i), "label": name, "count": n} for i, name, n in rows]
    if facet == "cohort":
        rows = await session.execute(
            select(Cohort.id, Cohort.name, Cohort.year, count)
            .select_from(Profile)
            .join(CohortMembership, CohortMembership.member_id == Profile.member_id)
            .join(Cohort, Cohort.id == CohortMembership.cohort_id)
            .where(*where)
            .group_by(Cohort.id, Cohort.name, Cohort.year)
            .order_by(count.desc(), Cohort.year.desc())
            .limit(FACET_LIMIT)
        )
        return [
            {"value": str(i), "label": f"{name} ({year})", "count": n} for i, name, year, n in rows
        ]
    tag = func.unnest(Profile.expertise).label("tag")
    inner = select(tag).where(*where).subquery()
    rows = await session.execute(
        select(inner.c.tag, ExpertiseTag.label, count)
        .join(ExpertiseTag, ExpertiseTag.slug == inner.c.tag, isouter=True)
        .group_by(inner.c.tag, ExpertiseTag.label)
        .order_by(count.desc(), inner.c.tag)
        .limit(FACET_LIMIT)
    )
    return [{"value": slug, "label": label or slug, "count": n} for slug, label, n in rows]


__all__ = [
    "FACETS",
    "MARK_START",
    "MARK_STOP",
    "BadCursor",
    "CohortRef",
    "ListedProfile",
    "SearchCursor",
    "SearchFilters",
    "SearchHit",
    "SearchOutcome",
    "SearchRequest",
    "answer",
    "expand_terms",
    "facet_counts",
    "forget_words",
    "refresh_search_index",
    "search_profiles",
]

"""One page of search results, in one statement after the vocabulary lookup, and its facets."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from uuid import UUID

from sqlalchemy import JSON, Float, Integer, and_, func, literal_column, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.adapters.orm import Organisation, Profile
from services.directory.adapters.search.facets import facet_counts
from services.directory.adapters.search.filters import SearchCursor, SearchFilters, listed
from services.directory.adapters.search.results import (
    CohortRef,
    ListedProfile,
    SearchHit,
    SearchOutcome,
    SearchRequest,
)
from services.directory.adapters.search.words import text_query
from services.directory.domain.search_query import SearchTerms, WordChoices, snippet

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
    conditions = listed() + filters.conditions()
    ts_query = None
    choices = WordChoices()
    if terms:
        ts_query, choices = await text_query(session, terms)
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

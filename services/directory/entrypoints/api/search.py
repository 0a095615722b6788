"""`GET /profiles`, the directory's hottest route: search, answered from memory when it can.

Answered without FastAPI's router and dependency resolution (direct_routes.py), so it reads the
caller and the query itself. A request is worked through in named steps: the query read into a
`SearchRequest` (facets, terms, filters, sort, cursor), the searcher and the search generation
(one statement shared with concurrent searches), the tag labels, the answer (from memory, or
worked out in a transaction with a statement timeout), then the body for this viewer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import TypeVar
from uuid import UUID

from fastapi import APIRouter, Request, Response
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from services.chassis.auth import current_principal
from services.chassis.problems import Problem
from services.chassis.runtime import ServiceRuntime
from services.directory.adapters.coalescing import Coalescer
from services.directory.adapters.held_connection import HeldConnection
from services.directory.adapters.search.answer import answer
from services.directory.adapters.search.cache import SearchCache
from services.directory.adapters.search.filters import (
    FACETS,
    BadCursor,
    SearchCursor,
    SearchFilters,
)
from services.directory.adapters.search.results import SearchOutcome, SearchRequest
from services.directory.config import DirectorySettings
from services.directory.domain.model import Region, Sector, Viewer
from services.directory.domain.search_query import parse_query
from services.directory.entrypoints.api.dependencies import ensure_person
from services.directory.entrypoints.api.direct_routes import answered_directly
from services.directory.entrypoints.api.query_model import query_model
from services.directory.schemas import SearchQuery, SearchResults
from services.directory.views import tags, viewers
from services.directory.views.search_results import search_results_json

T = TypeVar("T")

Searchers = Coalescer[UUID | None, tuple[Viewer, int]]


@dataclass(frozen=True)
class Searching:
    """What search keeps per app (each replica its own), opened with the app (bootstrap.py)."""

    runtime: ServiceRuntime
    settings: DirectorySettings
    #: Answers, per generation (adapters/search/cache.py).
    answers: SearchCache
    #: One of the pool's connections, kept for the searchers' statement (held_connection.py).
    held: HeldConnection
    #: Concurrent searches share the statement that reads who is searching.
    searchers: Searchers
    #: The same pool; its connections run each statement in its own transaction, which saves
    #: the BEGIN and ROLLBACK round trips of a unit of work on a read that changes nothing.
    reads: AsyncEngine

    @classmethod
    def open(cls, runtime: ServiceRuntime) -> Searching:
        settings = runtime.settings_as(DirectorySettings)
        held = HeldConnection(runtime.engine)
        return cls(
            runtime=runtime,
            settings=settings,
            answers=SearchCache(settings.search_cache_entries),
            held=held,
            searchers=Coalescer(partial(viewers.load_searchers, held)),
            reads=runtime.engine.execution_options(isolation_level="AUTOCOMMIT"),
        )

    async def aclose(self) -> None:
        """Give the held connection back to the pool (before the engine is disposed)."""
        await self.held.close()


router = APIRouter(prefix="/profiles", tags=["profiles"])

MAX_FILTER_VALUES = 20

_read_search_query, _SEARCH_QUERY_DOCS = query_model(SearchQuery)


@router.get(
    "",
    response_model=SearchResults,
    summary="Search the directory",
    description=(
        "Full-text search over names, job titles, organisations, expertise, sector, region and "
        "members-visible bios, tolerant of typos. Filters take several values comma-separated "
        "(alternatives); `facets=sector,region,...` adds counts. Keyset pages: pass "
        "`next_cursor` as `cursor`."
    ),
    openapi_extra=_SEARCH_QUERY_DOCS,
)
@answered_directly
async def search_profiles(request: Request) -> Response:
    caller = await current_principal(request)
    query = await _read_search_query(request)
    searching: Searching = request.app.state.searching
    wanted = search_request(query)
    ensure_person(caller)
    # An answer from memory needs only the statement that reads the searcher and the
    # generation (shared with concurrent searches, outside a transaction); the answer itself,
    # when it must be worked out, runs in a transaction with a statement timeout.
    found, generation = await searching.searchers.get(viewers.searcher_key(caller))
    viewer = viewers.as_searcher(caller, found)
    labels = tags.remembered_tag_labels()
    if labels is None:
        async with searching.reads.connect() as conn:
            labels = await tags.tag_labels(conn)
    remembered = searching.answers.get(generation, wanted)
    if remembered is None:
        outcome = await work_out(searching, wanted)
        remembered = searching.answers.put(generation, wanted, outcome)
    # Serialised in views (checked against SearchResults there); returning a model instead
    # would have FastAPI validate and encode it again (the response model still documents it).
    body = search_results_json(remembered, viewer, labels=labels, now=datetime.now(UTC))
    return Response(body, media_type="application/json")


def search_request(query: SearchQuery) -> SearchRequest:
    """Everything the answer depends on, read from the query (problems for bad values)."""
    wanted = facet_names(query.facets)
    terms = parse_query(query.q)
    filters = SearchFilters(
        sector=tuple(s.value for s in filter_values(query.sector, "sector", Sector)),
        region=tuple(r.value for r in filter_values(query.region, "region", Region)),
        organisation=filter_values(query.organisation, "organisation", UUID),
        cohort=filter_values(query.cohort, "cohort", UUID),
        expertise=filter_values(query.expertise, "expertise", _tag),
    )
    effective_sort = query.sort if terms else "name"
    after = None
    if query.cursor:
        try:
            after = SearchCursor.decode(
                query.cursor,
                fingerprint=filters.fingerprint(terms, effective_sort),
                sort=effective_sort,
            )
        except BadCursor as exc:
            raise Problem(400, "Bad cursor", str(exc), "bad-cursor") from exc
    return SearchRequest(terms, filters, effective_sort, query.limit, after, tuple(wanted))


async def work_out(searching: Searching, wanted: SearchRequest) -> SearchOutcome:
    """The answer from the database; a 503 `search-timeout` when it took too long."""
    settings = searching.settings
    try:
        async with searching.runtime.unit_of_work() as uow:
            return await answer(
                uow.session,
                wanted,
                candidate_cap=settings.search_candidate_cap,
                timeout_ms=settings.search_timeout_ms,
            )
    except DBAPIError as exc:
        if _timed_out(exc):
            raise Problem(
                503,
                "Search took too long",
                "That search is too broad to answer quickly. Add words or filters.",
                "search-timeout",
                headers={"Retry-After": "1"},
            ) from exc
        raise


def _timed_out(exc: DBAPIError) -> bool:
    """PostgreSQL cancelled the statement at its statement_timeout."""
    return "statement timeout" in str(exc) or "canceling statement" in str(exc)


def facet_names(raw: list[str]) -> list[str]:
    names: list[str] = []
    for item in raw:
        for name in item.split(","):
            name = name.strip()
            if not name:
                continue
            if name not in FACETS:
                raise Problem(
                    422,
                    "Unknown facet",
                    f"{name[:40]!r} is not a facet. Choose from: {', '.join(FACETS)}.",
                    "unknown-facet",
                )
            if name not in names:
                names.append(name)
    return names


def filter_values(raw: list[str], name: str, convert: Callable[[str], T]) -> tuple[T, ...]:
    """A filter's values: the parameter repeated and/or comma-separated (`sector=a,b`)."""
    parts = [p.strip() for item in raw for p in item.split(",") if p.strip()]
    if len(parts) > MAX_FILTER_VALUES:
        raise Problem(
            422,
            "Too many filters",
            f"At most {MAX_FILTER_VALUES} values per filter.",
            "too-many-filters",
        )
    converted: list[T] = []
    for part in dict.fromkeys(parts):
        try:
            converted.append(convert(part))
        except ValueError as exc:
            raise Problem(
                422,
                "Invalid request",
                f"{part[:60]!r} is not a valid {name}.",
                "invalid-request",
                errors=[{"location": ["query", name], "message": "not valid", "type": "value"}],
            ) from exc
    return tuple(converted)


def _tag(value: str) -> str:
    if not re.fullmatch(r"[a-z0-9-]{2,60}", value):
        raise ValueError(value)
    return value

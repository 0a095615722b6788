"""Directory's HTTP routes: thin, they validate, call a handler or a view, and commit."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Annotated, Any, Literal, TypeVar
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response, status
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from services.chassis.auth import CurrentPrincipal, current_principal, require_role
from services.chassis.coalescing import Coalescer
from services.chassis.database import UnitOfWork
from services.chassis.direct_routes import answered_directly
from services.chassis.problems import DomainProblems, Problem
from services.chassis.query import query_model
from services.chassis.runtime import ServiceRuntime, UnitOfWorkDep
from services.chassis.tokens import Principal
from services.directory import handlers, views
from services.directory.adapters import search
from services.directory.adapters.orm import ContactRequest, Delegate, Photo, Profile
from services.directory.adapters.search_cache import SearchCache
from services.directory.config import DirectorySettings
from services.directory.domain import commands
from services.directory.domain.errors import (
    Blocked,
    Conflict,
    DirectoryError,
    InvalidChange,
    NotPermitted,
    OrganisationNotFound,
    PhotoRejected,
    ProfileNotFound,
    RateLimited,
    RequestNotFound,
)
from services.directory.domain.model import (
    NEVER_FOR_DEPARTMENTS,
    REGION_LABELS,
    SECTOR_LABELS,
    ListedField,
    OrganisationType,
    PrivateField,
    Region,
    Relation,
    Sector,
    Viewer,
    Visibility,
)
from services.directory.domain.search_query import parse_query
from services.directory.schemas import (
    BIO_MAX_CHARS,
    REASON_MAX_CHARS,
    REASON_MIN_CHARS,
    REPORT_NOTE_MAX_CHARS,
    ActivityPage,
    ActivityRead,
    BlockCreate,
    ContactRequestCreate,
    ContactRequestPage,
    ContactRequestRead,
    Decision,
    DelegateCreate,
    DelegateRead,
    ExpertiseTagCreate,
    MemberRef,
    NoticeRead,
    OrganisationCreate,
    OrganisationPage,
    OrganisationRead,
    ProfileRead,
    ProfileUpdate,
    ReportCreate,
    ReportRead,
    SearchQuery,
    SearchResults,
    TagRead,
    ViewPage,
    ViewRead,
)

T = TypeVar("T")


async def _settings(request: Request) -> DirectorySettings:
    settings: DirectorySettings = request.app.state.runtime.settings
    return settings


SettingsDep = Annotated[DirectorySettings, Depends(_settings)]


Searchers = Coalescer[UUID | None, tuple[Viewer, int]]


@dataclass(frozen=True)
class Searching:
    """What search keeps per app (each replica its own), made on the first search."""

    runtime: ServiceRuntime
    settings: DirectorySettings
    #: Answers, per generation (adapters/search_cache.py).
    answers: SearchCache
    #: Concurrent searches share the statement that reads who is searching.
    searchers: Searchers


async def _searching(request: Request) -> Searching:
    state = request.app.state
    if not hasattr(state, "searching"):
        runtime: ServiceRuntime = state.runtime
        settings: DirectorySettings = runtime.settings  # type: ignore[assignment]
        state.searching = Searching(
            runtime=runtime,
            settings=settings,
            answers=SearchCache(settings.search_cache_entries),
            searchers=Coalescer(partial(views.load_searchers, runtime.held_connection)),
        )
    searching: Searching = state.searching
    return searching


ProgrammeAdmin = Annotated[Principal, Depends(require_role("programme_admin"))]


def _photo_rejected(exc: Exception) -> Problem:
    assert isinstance(exc, PhotoRejected)
    if exc.too_large:
        return Problem(413, "Photo too large", str(exc), "photo-too-large")
    return Problem(415, "Unsupported photo type", str(exc), "photo-type")


# Domain error -> (status, title, problem code). One table, so every route answers alike.
PROBLEMS = DomainProblems(
    DirectoryError,
    {
        RateLimited: (429, "Too many requests", "rate-limited"),
        PhotoRejected: _photo_rejected,
        ProfileNotFound: (404, "Not found", "profile-not-found"),
        RequestNotFound: (404, "Not found", "contact-request-not-found"),
        OrganisationNotFound: (404, "Not found", "organisation-not-found"),
        NotPermitted: (403, "Forbidden", "not-permitted"),
        InvalidChange: (422, "Invalid change", "invalid-change"),
        Conflict: (409, "Conflict", "conflict"),
        Blocked: (403, "Forbidden", "blocked"),
    },
)
as_problem = PROBLEMS.problem
run = PROBLEMS.run


#: People, as opposed to service accounts (department_subscriber), which get public events only.
PERSON_ROLES = ("member", "curator", "programme_admin")


def _ensure_person(principal: Principal) -> None:
    if not principal.has_role(*PERSON_ROLES):
        raise Problem(403, "Forbidden", "The directory is for Convene members.", "not-a-member")


async def _viewer(uow: UnitOfWorkDep, principal: Principal) -> Viewer:
    _ensure_person(principal)
    return await views.load_viewer(uow.session, principal)


def _member_id(principal: Principal) -> UUID:
    _ensure_person(principal)
    try:
        return UUID(principal.subject)
    except ValueError as exc:
        raise Problem(
            403, "Forbidden", "Only members have a directory profile.", "not-a-member"
        ) from exc


def _actor(principal: Principal) -> commands.Actor:
    return commands.Actor(
        member_id=_member_id(principal), is_admin=principal.has_role(views.ADMIN_ROLE)
    )


def _resolve(ref: str, principal: Principal) -> UUID:
    """`me` or a member id."""
    if ref == "me":
        return _member_id(principal)
    try:
        return UUID(ref)
    except ValueError as exc:
        raise Problem(
            422,
            "Invalid request",
            "A profile is named by a member id (a UUID) or `me`.",
            "invalid-request",
            errors=[{"location": ["path", "member"], "message": "not a UUID", "type": "uuid"}],
        ) from exc


def _may_manage(viewer: Viewer, member_id: UUID) -> bool:
    return viewer.member_id == str(member_id) or str(member_id) in viewer.principals


async def _profile_read(uow: UnitOfWorkDep, member_id: UUID, viewer: Viewer) -> ProfileRead:
    loaded = await views.load_profiles(uow.session, [member_id])
    if not loaded or not views.listed_to(loaded[0].profile, viewer):
        raise Problem(404, "Not found", "There is no profile with that id.", "profile-not-found")
    body = views.project_profile(
        loaded[0].profile,
        viewer,
        cohorts=loaded[0].cohorts,
        organisation=loaded[0].organisation,
        labels=await views.tag_labels(uow.session),
        now=views.now(),
    )
    return ProfileRead.model_validate(body)


profiles_router = APIRouter(prefix="/profiles", tags=["profiles"])
contact_router = APIRouter(prefix="/contact-requests", tags=["contact requests"])
organisations_router = APIRouter(prefix="/organisations", tags=["organisations"])
reference_router = APIRouter(tags=["reference"])
admin_router = APIRouter(tags=["administration"])


# -- search -----------------------------------------------------------------------------------

MAX_FILTER_VALUES = 20


def _facet_names(raw: list[str]) -> list[str]:
    names: list[str] = []
    for item in raw:
        for name in item.split(","):
            name = name.strip()
            if not name:
                continue
            if name not in search.FACETS:
                raise Problem(
                    422,
                    "Unknown facet",
                    f"{name[:40]!r} is not a facet. Choose from: {', '.join(search.FACETS)}.",
                    "unknown-facet",
                )
            if name not in names:
                names.append(name)
    return names


def _values(raw: list[str], name: str, convert: Callable[[str], T]) -> tuple[T, ...]:
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


_read_search_query, _SEARCH_QUERY_DOCS = query_model(SearchQuery)


@profiles_router.get(
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
    # The hottest route: answered without FastAPI's router and dependency resolution
    # (chassis/direct_routes.py), so it reads the caller and the query itself.
    caller = await current_principal(request)
    query = await _read_search_query(request)
    searching = await _searching(request)
    wanted = _facet_names(query.facets)
    terms = parse_query(query.q)
    filters = search.SearchFilters(
        sector=tuple(s.value for s in _values(query.sector, "sector", Sector)),
        region=tuple(r.value for r in _values(query.region, "region", Region)),
        organisation=_values(query.organisation, "organisation", UUID),
        cohort=_values(query.cohort, "cohort", UUID),
        expertise=_values(query.expertise, "expertise", _tag),
    )
    effective_sort = query.sort if terms else "name"
    after = None
    if query.cursor:
        try:
            after = search.SearchCursor.decode(
                query.cursor,
                fingerprint=filters.fingerprint(terms, effective_sort),
                sort=effective_sort,
            )
        except search.BadCursor as exc:
            raise Problem(400, "Bad cursor", str(exc), "bad-cursor") from exc
    wanted_search = search.SearchRequest(
        terms, filters, effective_sort, query.limit, after, tuple(wanted)
    )
    _ensure_person(caller)
    # An answer from memory needs only the statement that reads the searcher and the
    # generation (shared with concurrent searches, outside a transaction); the answer itself,
    # when it must be worked out, runs in a transaction with a statement timeout.
    runtime, settings, cache = searching.runtime, searching.settings, searching.answers
    found, generation = await searching.searchers.get(views.searcher_key(caller))
    viewer = views.as_searcher(caller, found)
    labels = views.remembered_tag_labels()
    if labels is None:
        async with runtime.read_connection() as conn:
            labels = await views.tag_labels(conn)
    answer = cache.get(generation, wanted_search)
    if answer is None:
        try:
            async with runtime.unit_of_work() as uow:
                outcome = await search.answer(
                    uow.session,
                    wanted_search,
                    candidate_cap=settings.search_candidate_cap,
                    timeout_ms=settings.search_timeout_ms,
                )
        except DBAPIError as exc:
            if "statement timeout" in str(exc) or "canceling statement" in str(exc):
                raise Problem(
                    503,
                    "Search took too long",
                    "That search is too broad to answer quickly. Add words or filters.",
                    "search-timeout",
                    headers={"Retry-After": "1"},
                ) from exc
            raise
        answer = cache.put(generation, wanted_search, outcome)
    # Serialised in views (checked against SearchResults there); returning a model instead
    # would have FastAPI validate and encode it again (the response model still documents it).
    body = views.search_results_json(answer, viewer, labels=labels, now=views.now())
    return Response(body, media_type="application/json")


# -- one profile --------------------------------------------------------------------------------


@profiles_router.get("/{member}", summary="A profile (`me` for your own)")
async def read_profile(member: str, uow: UnitOfWorkDep, caller: CurrentPrincipal) -> ProfileRead:
    member_id = _resolve(member, caller)
    viewer = await _viewer(uow, caller)
    body = await _profile_read(uow, member_id, viewer)
    if viewer.member_id is not None and not _may_manage(viewer, member_id):
        try:
            viewer_id = UUID(viewer.member_id)
        except ValueError:
            viewer_id = None
        if viewer_id is not None:
            await handlers.record_profile_view(
                commands.RecordProfileView(
                    profile_id=member_id, viewer_id=viewer_id, viewer_is_admin=viewer.is_admin
                ),
                uow,
            )
            await uow.commit()
    return body


@profiles_router.patch("/{member}", summary="Change your profile (or your principal's)")
async def update_profile(
    member: str, body: ProfileUpdate, uow: UnitOfWorkDep, caller: CurrentPrincipal
) -> ProfileRead:
    member_id = _resolve(member, caller)
    changes = body.model_dump(exclude_unset=True, mode="json")
    if "organisation_id" in changes and changes["organisation_id"] is not None:
        changes["organisation_id"] = UUID(changes["organisation_id"])
    await run(
        handlers.update_profile(
            commands.UpdateProfile(member_id=member_id, actor=_actor(caller), changes=changes), uow
        )
    )
    await uow.commit()
    return await _profile_read(uow, member_id, await _viewer(uow, caller))


async def _owner_action(
    member: str, uow: UnitOfWorkDep, caller: Principal, action: str
) -> ProfileRead:
    member_id = _resolve(member, caller)
    actor = _actor(caller)
    if action == "publish":
        await run(handlers.publish_profile(commands.PublishProfile(member_id, actor), uow))
    elif action == "unpublish":
        await run(handlers.unpublish_profile(commands.UnpublishProfile(member_id, actor), uow))
    else:
        await run(handlers.confirm_profile(commands.ConfirmProfile(member_id, actor), uow))
    await uow.commit()
    return await _profile_read(uow, member_id, await _viewer(uow, caller))


@profiles_router.post("/{member}/publish", summary="List the profile in the directory")
async def publish_profile(member: str, uow: UnitOfWorkDep, caller: CurrentPrincipal) -> ProfileRead:
    return await _owner_action(member, uow, caller, "publish")


@profiles_router.post("/{member}/unpublish", summary="Take the profile out of the directory")
async def unpublish_profile(
    member: str, uow: UnitOfWorkDep, caller: CurrentPrincipal
) -> ProfileRead:
    return await _owner_action(member, uow, caller, "unpublish")


@profiles_router.post("/{member}/confirm", summary="Confirm the profile is still right")
async def confirm_profile(member: str, uow: UnitOfWorkDep, caller: CurrentPrincipal) -> ProfileRead:
    return await _owner_action(member, uow, caller, "confirm")


# -- photo ------------------------------------------------------------------------------------


@profiles_router.put(
    "/{member}/photo",
    summary="Upload a photo (JPEG, PNG or WebP; the raw bytes as the body)",
    openapi_extra={"requestBody": {"content": {"image/*": {"schema": {"type": "string"}}}}},
)
async def upload_photo(
    member: str,
    request: Request,
    uow: UnitOfWorkDep,
    caller: CurrentPrincipal,
    settings: SettingsDep,
) -> ProfileRead:
    member_id = _resolve(member, caller)
    data = await _read_limited(request, settings.photo_max_bytes)
    await run(
        handlers.upload_photo(
            commands.UploadPhoto(member_id=member_id, actor=_actor(caller), data=data),
            uow,
            settings,
        )
    )
    await uow.commit()
    return await _profile_read(uow, member_id, await _viewer(uow, caller))


async def _read_limited(request: Request, limit: int) -> bytes:
    too_large = Problem(
        413, "Photo too large", f"Photos are limited to {limit // 1000} KB.", "photo-too-large"
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > limit:
            raise too_large
    if not data:
        raise Problem(422, "No photo", "Send the image bytes as the request body.", "no-photo")
    return bytes(data)


@profiles_router.get(
    "/{member}/photo",
    summary="The profile photo, if the caller may see it",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}}}},
)
async def read_photo(member: str, uow: UnitOfWorkDep, caller: CurrentPrincipal) -> Response:
    member_id = _resolve(member, caller)
    viewer = await _viewer(uow, caller)
    body = await _profile_read(uow, member_id, viewer)
    photo = await uow.session.get(Photo, member_id) if body.photo_url else None
    if photo is None:
        raise Problem(404, "Not found", "There is no photo you can see.", "photo-not-found")
    return Response(
        photo.data,
        media_type=photo.content_type,
        headers={
            "Cache-Control": "private, max-age=300",
            "ETag": f'"{photo.sha256[:32]}"',
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": "inline",
        },
    )


@profiles_router.delete("/{member}/photo", status_code=204, summary="Remove the photo")
async def remove_photo(member: str, uow: UnitOfWorkDep, caller: CurrentPrincipal) -> Response:
    member_id = _resolve(member, caller)
    await run(handlers.remove_photo(commands.RemovePhoto(member_id, _actor(caller)), uow))
    await uow.commit()
    return Response(status_code=204)


# -- owner's lists: viewers, activity, notices, connections, blocks, delegates -----------------


async def _manager_or_admin(
    uow: UnitOfWorkDep, caller: Principal, member: str, *, admin_ok: bool
) -> tuple[UUID, Viewer]:
    member_id = _resolve(member, caller)
    viewer = await _viewer(uow, caller)
    if not (_may_manage(viewer, member_id) or (admin_ok and viewer.is_admin)):
        raise Problem(
            403, "Forbidden", "Only the member or their delegate may see this.", "not-permitted"
        )
    return member_id, viewer


def _int_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    if not cursor.isdigit() or len(cursor) > 18:
        raise Problem(400, "Bad cursor", "The page cursor is not valid.", "bad-cursor")
    return int(cursor)


@profiles_router.get("/{member}/viewers", summary="Who viewed this profile, newest first")
async def profile_viewers(
    member: str,
    uow: UnitOfWorkDep,
    caller: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=20)] = None,
) -> ViewPage:
    member_id, _ = await _manager_or_admin(uow, caller, member, admin_ok=True)
    rows = await views.profile_viewers(
        uow.session,
        profile_id=member_id,
        limit=limit,
        before=_int_cursor(cursor),
    )
    return await _view_page(uow, rows, limit)


@profiles_router.get(
    "/{member}/activity", summary="Changes to this profile, by whom, and whether as a delegate"
)
async def profile_activity(
    member: str,
    uow: UnitOfWorkDep,
    caller: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=20)] = None,
) -> ActivityPage:
    member_id, _ = await _manager_or_admin(uow, caller, member, admin_ok=True)
    rows = await views.activity(
        uow.session, member_id=member_id, limit=limit, before=_int_cursor(cursor)
    )
    return ActivityPage(
        items=[ActivityRead.model_validate(r) for r in rows],
        next_cursor=str(rows[-1].id) if len(rows) == limit else None,
    )


@profiles_router.get("/{member}/notices", summary="Nudges for the owner: stale, reported")
async def profile_notices(
    member: str, uow: UnitOfWorkDep, caller: CurrentPrincipal
) -> list[NoticeRead]:
    member_id, _ = await _manager_or_admin(uow, caller, member, admin_ok=False)
    return [NoticeRead.model_validate(n) for n in await views.notices(uow.session, member_id, 50)]


@profiles_router.get("/{member}/connections", summary="Accepted contacts")
async def profile_connections(
    member: str, uow: UnitOfWorkDep, caller: CurrentPrincipal
) -> list[MemberRef]:
    member_id, _ = await _manager_or_admin(uow, caller, member, admin_ok=False)
    from services.directory.adapters.orm import Connection

    rows = (
        await uow.session.scalars(
            select(Connection)
            .where(Connection.member_id == member_id)
            .order_by(Connection.created_at.desc())
            .limit(500)
        )
    ).all()
    names = await views.names(uow.session, [r.other_id for r in rows])
    return [
        MemberRef(member_id=r.other_id, name=names.get(r.other_id), since=r.created_at)
        for r in rows
    ]


@profiles_router.get("/{member}/blocks", summary="Members this member has blocked")
async def list_blocks(member: str, uow: UnitOfWorkDep, caller: CurrentPrincipal) -> list[MemberRef]:
    member_id, _ = await _manager_or_admin(uow, caller, member, admin_ok=False)
    rows = await views.blocked_by(uow.session, member_id)
    names = await views.names(uow.session, [r.blocked_id for r in rows])
    return [
        MemberRef(member_id=r.blocked_id, name=names.get(r.blocked_id), since=r.created_at)
        for r in rows
    ]


@profiles_router.post("/{member}/blocks", status_code=204, summary="Block a member")
async def block_member(
    member: str, body: BlockCreate, uow: UnitOfWorkDep, caller: CurrentPrincipal
) -> Response:
    member_id = _resolve(member, caller)
    await run(
        handlers.block_member(commands.BlockMember(member_id, body.member_id, _actor(caller)), uow)
    )
    await uow.commit()
    return Response(status_code=204)


@profiles_router.delete("/{member}/blocks/{blocked_id}", status_code=204, summary="Unblock")
async def unblock_member(
    member: str, blocked_id: UUID, uow: UnitOfWorkDep, caller: CurrentPrincipal
) -> Response:
    member_id = _resolve(member, caller)
    await run(
        handlers.unblock_member(commands.UnblockMember(member_id, blocked_id, _actor(caller)), uow)
    )
    await uow.commit()
    return Response(status_code=204)


@profiles_router.get("/{member}/delegates", summary="Delegates who may act for this member")
async def list_delegates(
    member: str, uow: UnitOfWorkDep, caller: CurrentPrincipal
) -> list[DelegateRead]:
    member_id, _ = await _manager_or_admin(uow, caller, member, admin_ok=True)
    rows = await views.delegates_of(uow.session, member_id)
    names = await views.names(uow.session, [r.delegate_id for r in rows])
    return [
        DelegateRead(
            delegate_id=r.delegate_id, name=names.get(r.delegate_id), created_at=r.created_at
        )
        for r in rows
    ]


@profiles_router.post("/{member}/delegates", status_code=204, summary="Name a delegate")
async def name_delegate(
    member: str, body: DelegateCreate, uow: UnitOfWorkDep, caller: CurrentPrincipal
) -> Response:
    member_id = _resolve(member, caller)
    await run(
        handlers.name_delegate(
            commands.NameDelegate(member_id, body.delegate_id, _actor(caller)), uow
        )
    )
    await uow.commit()
    return Response(status_code=204)


@profiles_router.delete(
    "/{member}/delegates/{delegate_id}", status_code=204, summary="End a delegation"
)
async def remove_delegate(
    member: str, delegate_id: UUID, uow: UnitOfWorkDep, caller: CurrentPrincipal
) -> Response:
    member_id = _resolve(member, caller)
    await run(
        handlers.remove_delegate(
            commands.RemoveDelegate(member_id, delegate_id, _actor(caller)), uow
        )
    )
    await uow.commit()
    return Response(status_code=204)


@profiles_router.post(
    "/{member}/reports",
    status_code=201,
    summary="Report a profile as out of date, or its member as having left",
)
async def report_profile(
    member: str, body: ReportCreate, uow: UnitOfWorkDep, caller: CurrentPrincipal
) -> ReportRead:
    member_id = _resolve(member, caller)
    report = await run(
        handlers.report_profile(
            commands.ReportProfile(member_id, _member_id(caller), body.kind, body.note), uow
        )
    )
    await uow.commit()
    return ReportRead.model_validate(report).model_copy(update={"reporter_id": None})


# -- contact requests -------------------------------------------------------------------------


def _request_read(request: ContactRequest, names: dict[UUID, str]) -> ContactRequestRead:
    read = ContactRequestRead.model_validate(request)
    return read.model_copy(
        update={
            "requester_name": names.get(request.requester_id),
            "recipient_name": names.get(request.recipient_id),
            "status": "expired"
            if request.status == "pending" and request.expires_at <= views.now()
            else request.status,
        }
    )


@contact_router.post(
    "",
    status_code=201,
    summary="Ask a member for contact, with a short reason",
    responses={429: {"description": "Daily limit reached (see Retry-After)"}},
)
async def send_contact_request(
    body: ContactRequestCreate, uow: UnitOfWorkDep, caller: CurrentPrincipal, settings: SettingsDep
) -> ContactRequestRead:
    actor = _actor(caller)
    requester = body.on_behalf_of or actor.member_id
    request = await run(
        handlers.send_contact_request(
            commands.SendContactRequest(requester, body.recipient_id, body.reason, actor),
            uow,
            settings,
        )
    )
    await uow.commit()
    names = await views.names(uow.session, [request.requester_id, request.recipient_id])
    return _request_read(request, names)


def _request_cursor(cursor: str | None) -> tuple[datetime, UUID] | None:
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created, id_ = json.loads(raw)
        return datetime.fromisoformat(created), UUID(id_)
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        raise Problem(400, "Bad cursor", "The page cursor is not valid.", "bad-cursor") from exc


@contact_router.get("", summary="Your contact requests (or your principal's, as a delegate)")
async def list_contact_requests(
    uow: UnitOfWorkDep,
    caller: CurrentPrincipal,
    direction: Literal["incoming", "outgoing"] = "incoming",
    request_status: Annotated[
        Literal["pending", "accepted", "declined", "expired", "blocked"] | None,
        Query(alias="status"),
    ] = None,
    for_member: Annotated[UUID | None, Query(alias="for")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> ContactRequestPage:
    viewer = await _viewer(uow, caller)
    member_id = for_member or _member_id(caller)
    if not _may_manage(viewer, member_id):
        raise Problem(403, "Forbidden", "You are not a delegate for that member.", "not-permitted")
    rows = await views.contact_requests(
        uow.session,
        member_id=member_id,
        direction=direction,
        status=request_status,
        limit=limit,
        after=_request_cursor(cursor),
    )
    # Requests the member is blocked from seeing never exist: "blocked" is shown only outgoing
    # from the blocker's side as incoming history.
    names = await views.names(
        uow.session, [r.requester_id for r in rows] + [r.recipient_id for r in rows]
    )
    next_cursor = None
    if len(rows) == limit:
        raw = json.dumps([rows[-1].created_at.isoformat(), str(rows[-1].id)]).encode()
        next_cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return ContactRequestPage(
        items=[_request_read(r, names) for r in rows], next_cursor=next_cursor
    )


@contact_router.post(
    "/{request_id}/decision", summary="Accept or decline a contact request you received"
)
async def decide_contact_request(
    request_id: UUID, body: Decision, uow: UnitOfWorkDep, caller: CurrentPrincipal
) -> ContactRequestRead:
    request = await run(
        handlers.decide_contact_request(
            commands.DecideContactRequest(request_id, body.decision == "accept", _actor(caller)),
            uow,
        )
    )
    await uow.commit()
    names = await views.names(uow.session, [request.requester_id, request.recipient_id])
    return _request_read(request, names)


# -- organisations, vocabularies ---------------------------------------------------------------


@organisations_router.get("", summary="The organisation list, by name")
async def list_organisations(
    uow: UnitOfWorkDep,
    _: CurrentPrincipal,
    q: Annotated[str | None, Query(max_length=100)] = None,
    type: Annotated[OrganisationType | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=300)] = None,
) -> OrganisationPage:
    after = None
    if cursor is not None:
        try:
            after = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        except (ValueError, UnicodeDecodeError) as exc:
            raise Problem(400, "Bad cursor", "The page cursor is not valid.", "bad-cursor") from exc
    rows = await views.organisations(
        uow.session, q=q, type_=type.value if type else None, limit=limit, after=after
    )
    next_cursor = None
    if len(rows) == limit:
        next_cursor = base64.urlsafe_b64encode(rows[-1].name.lower().encode()).decode().rstrip("=")
    return OrganisationPage(
        items=[OrganisationRead.model_validate(o) for o in rows], next_cursor=next_cursor
    )


@organisations_router.get("/{organisation_id}", summary="One organisation")
async def read_organisation(
    organisation_id: UUID, uow: UnitOfWorkDep, _: CurrentPrincipal
) -> OrganisationRead:
    from services.directory.adapters.orm import Organisation

    organisation = await uow.session.get(Organisation, organisation_id)
    if organisation is None:
        raise Problem(404, "Not found", "There is no organisation with that id.", "not-found")
    return OrganisationRead.model_validate(organisation)


@organisations_router.post("", status_code=201, summary="Add an organisation (programme admins)")
async def add_organisation(
    body: OrganisationCreate, uow: UnitOfWorkDep, admin: ProgrammeAdmin
) -> OrganisationRead:
    organisation = await run(
        handlers.add_organisation(
            commands.AddOrganisation(body.name, body.type.value, body.parent_id, admin.subject),
            uow,
        )
    )
    await uow.commit()
    return OrganisationRead.model_validate(organisation)


@organisations_router.put(
    "/{organisation_id}", summary="Change an organisation's name, type or parent (admins)"
)
async def update_organisation(
    organisation_id: UUID, body: OrganisationCreate, uow: UnitOfWorkDep, admin: ProgrammeAdmin
) -> OrganisationRead:
    organisation = await run(
        handlers.update_organisation(
            commands.UpdateOrganisation(
                organisation_id, body.name, body.type.value, body.parent_id, admin.subject
            ),
            uow,
        )
    )
    await uow.commit()
    return OrganisationRead.model_validate(organisation)


@reference_router.get("/expertise", summary="The expertise tags members choose from")
async def list_expertise(uow: UnitOfWorkDep, _: CurrentPrincipal) -> list[TagRead]:
    labels = await views.tag_labels(uow.session)
    return [TagRead(slug=s, label=label) for s, label in sorted(labels.items(), key=lambda i: i[1])]


@reference_router.post("/expertise", status_code=201, summary="Add a tag (programme admins)")
async def add_expertise(
    body: ExpertiseTagCreate, uow: UnitOfWorkDep, admin: ProgrammeAdmin
) -> TagRead:
    slug = body.slug or re.sub(r"[^a-z0-9]+", "-", body.label.lower()).strip("-")[:60]
    if len(slug) < 2:
        raise Problem(422, "Invalid tag", "The label needs letters or digits.", "invalid-tag")
    tag = await run(
        handlers.add_expertise_tag(commands.AddExpertiseTag(slug, body.label, admin.subject), uow)
    )
    await uow.commit()
    views.forget_tag_labels()
    return TagRead(slug=tag.slug, label=tag.label)


@reference_router.get("/vocabularies", summary="Sectors, regions, organisation types, visibility")
async def vocabularies(_: CurrentPrincipal, settings: SettingsDep) -> dict[str, Any]:
    return {
        # What the web forms check before sending, so they never restate the directory's rules.
        "limits": {
            "bio_max_chars": BIO_MAX_CHARS,
            "photo_max_bytes": settings.photo_max_bytes,
            "reason_min_chars": REASON_MIN_CHARS,
            "reason_max_chars": REASON_MAX_CHARS,
            "report_note_max_chars": REPORT_NOTE_MAX_CHARS,
        },
        "sectors": [{"value": s.value, "label": label} for s, label in SECTOR_LABELS.items()],
        "regions": [{"value": r.value, "label": label} for r, label in REGION_LABELS.items()],
        "organisation_types": [t.value for t in OrganisationType],
        "visibility": [v.value for v in Visibility],
        "private_fields": [f.value for f in PrivateField],
        "listed_fields": [f.value for f in ListedField],
        "never_for_departments": sorted(f.value for f in NEVER_FOR_DEPARTMENTS),
    }


# -- administration ---------------------------------------------------------------------------


@admin_router.get("/reports", summary="Open reports of out-of-date profiles and leavers")
async def list_reports(
    uow: UnitOfWorkDep,
    _: ProgrammeAdmin,
    report_status: Annotated[Literal["open", "resolved"] | None, Query(alias="status")] = "open",
    member_id: UUID | None = None,
) -> list[ReportRead]:
    rows = await views.reports(uow.session, status=report_status, member_id=member_id, limit=200)
    return [ReportRead.model_validate(r) for r in rows]


@admin_router.post("/reports/{report_id}/resolve", summary="Mark a report dealt with")
async def resolve_report(report_id: UUID, uow: UnitOfWorkDep, _: ProgrammeAdmin) -> ReportRead:
    report = await run(handlers.resolve_report(report_id, uow))
    await uow.commit()
    return ReportRead.model_validate(report)


@admin_router.get("/audit/views", summary="Profile views, for audit (programme admins)")
async def audit_views(
    uow: UnitOfWorkDep,
    _: ProgrammeAdmin,
    viewer_id: UUID | None = None,
    profile_id: UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
    cursor: Annotated[str | None, Query(max_length=20)] = None,
) -> ViewPage:
    rows = await views.views_by(
        uow.session,
        viewer_id=viewer_id,
        profile_id=profile_id,
        limit=limit,
        before=_int_cursor(cursor),
    )
    return await _view_page(uow, rows, limit)


async def _view_page(uow: UnitOfWork, rows: Sequence[Any], limit: int) -> ViewPage:
    """A page of profile views with each viewer's name; the cursor is the last view's id."""
    names = await views.names(uow.session, [r.viewer_id for r in rows])
    return ViewPage(
        items=[
            ViewRead(
                viewer_id=r.viewer_id,
                viewer_name=names.get(r.viewer_id),
                profile_id=r.profile_id,
                viewed_at=r.viewed_at,
                viewer_is_admin=r.viewer_is_admin,
            )
            for r in rows
        ],
        next_cursor=str(rows[-1].id) if len(rows) == limit else None,
    )


ROUTERS = [profiles_router, contact_router, organisations_router, reference_router, admin_router]

__all__ = ["ROUTERS", "Delegate", "Profile", "Relation", "status"]

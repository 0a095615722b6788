"""Read-side queries for the directory's API, with the privacy rules applied on the way out.

Every path that returns profile data goes through `project_profile` (a whole profile) or
`search_results_json` (search results): both take the viewer, so no read path forgets privacy.
"""

from __future__ import annotations

import html
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from pydantic import TypeAdapter
from sqlalchemy import and_, func, literal, or_, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.chassis.held_connection import HeldConnection
from services.chassis.tokens import Principal
from services.directory.adapters.orm import (
    ActivityEntry,
    Block,
    Cohort,
    CohortMembership,
    ContactRequest,
    Delegate,
    ExpertiseTag,
    Notice,
    Organisation,
    Profile,
    ProfileReport,
    ProfileView,
)
from services.directory.adapters.search import MARK_START, MARK_STOP, ListedProfile
from services.directory.adapters.search_cache import RememberedAnswer
from services.directory.domain.model import (
    PrivateField,
    ProfileFacts,
    ProfileStatus,
    Relation,
    Viewer,
    completeness,
    is_stale,
    stored_visibility,
    visibility_settings,
    visible_fields,
)
from services.directory.schemas import ProfileCard, SearchResults

ADMIN_ROLE = "programme_admin"


_VIEWER = text("""
    SELECT
      ARRAY(SELECT cohort_id::text FROM cohort_memberships WHERE member_id = :id),
      ARRAY(SELECT other_id::text FROM connections WHERE member_id = :id),
      ARRAY(SELECT principal_id::text FROM delegates WHERE delegate_id = :id)
""")


async def load_viewer(session: AsyncSession, principal: Principal) -> Viewer:
    """The caller's cohorts, connections and principals (whom they are delegate for): one query."""
    is_admin = principal.has_role(ADMIN_ROLE)
    member_id = searcher_key(principal)
    if member_id is None:  # a service account: nobody's cohort, connection or delegate
        return Viewer(member_id=principal.subject, is_admin=is_admin)
    cohorts, connections, principals = (await session.execute(_VIEWER, {"id": member_id})).one()
    return Viewer(
        member_id=str(member_id),
        cohorts=frozenset(cohorts),
        connections=frozenset(connections),
        principals=frozenset(principals),
        is_admin=is_admin,
    )


#: Many searchers at once (chassis/coalescing.py), with the search generation
#: (adapters/search_cache.py) read in the same statement; one row even when no member asks.
#: Sent through the driver on a held connection (chassis/held_connection.py): asyncpg's `$1`.
_SEARCHERS = """
    SELECT g.generation, m.id,
      ARRAY(SELECT cohort_id::text FROM cohort_memberships WHERE member_id = m.id),
      ARRAY(SELECT other_id::text FROM connections WHERE member_id = m.id),
      ARRAY(SELECT principal_id::text FROM delegates WHERE delegate_id = m.id)
    FROM search_generation AS g
    LEFT JOIN unnest($1::uuid[]) AS m(id) ON true
    WHERE g.id = 1
"""


def searcher_key(principal: Principal) -> UUID | None:
    """The member behind a token; None for a service account."""
    try:
        return UUID(principal.subject)
    except ValueError:
        return None


async def load_searchers(
    connection: HeldConnection, keys: Sequence[UUID | None]
) -> dict[UUID | None, tuple[Viewer, int]]:
    """Each searcher's relations, and the generation every one of their answers must be of.

    Roles come from the token, not from here: `as_searcher` adds them.
    """
    rows = await connection.fetch(_SEARCHERS, [key for key in keys if key is not None])
    generation: int = rows[0][0]
    found: dict[UUID | None, tuple[Viewer, int]] = {None: (Viewer(member_id=None), generation)}
    for _, member_id, cohorts, connections, principals in rows:
        if member_id is not None:
            viewer = Viewer(
                member_id=str(member_id),
                cohorts=frozenset(cohorts),
                connections=frozenset(connections),
                principals=frozenset(principals),
            )
            found[member_id] = (viewer, generation)
    return found


def as_searcher(principal: Principal, viewer: Viewer) -> Viewer:
    # A service account is a member of Convene to the privacy rules, related to nobody.
    return replace(
        viewer,
        member_id=viewer.member_id or principal.subject,
        is_admin=principal.has_role(ADMIN_ROLE),
    )


async def cohorts_of(session: AsyncSession, member_ids: Iterable[UUID]) -> dict[UUID, list[Cohort]]:
    ids = list(member_ids)
    found: dict[UUID, list[Cohort]] = {i: [] for i in ids}
    if not ids:
        return found
    rows = await session.execute(
        select(CohortMembership.member_id, Cohort)
        .join(Cohort, Cohort.id == CohortMembership.cohort_id)
        .where(CohortMembership.member_id.in_(ids))
        .order_by(Cohort.year.desc(), Cohort.name)
    )
    for member_id, cohort in rows:
        found[member_id].append(cohort)
    return found


#: Tag labels change only when an admin adds a tag: a short in-process cache saves a query on
#: every search (another replica's new tag shows within TAG_CACHE_SECONDS).
TAG_CACHE_SECONDS = 30.0
_tag_cache: tuple[float, dict[str, str]] | None = None


def remembered_tag_labels() -> dict[str, str] | None:
    """The labels, if read within TAG_CACHE_SECONDS (so a caller need not get a connection)."""
    if _tag_cache is not None and time.monotonic() - _tag_cache[0] < TAG_CACHE_SECONDS:
        return _tag_cache[1]
    return None


async def tag_labels(session: AsyncSession | AsyncConnection) -> dict[str, str]:
    global _tag_cache
    remembered = remembered_tag_labels()
    if remembered is not None:
        return remembered
    now_ = time.monotonic()
    rows = await session.execute(select(ExpertiseTag.slug, ExpertiseTag.label))
    labels = {slug: label for slug, label in rows}
    _tag_cache = (now_, labels)
    return labels


def forget_tag_labels() -> None:
    """After adding a tag in this process."""
    global _tag_cache
    _tag_cache = None


def listed_to(profile: Profile, viewer: Viewer) -> bool:
    """Whether the viewer may see the profile at all: published and active, or their own
    (or their principal's) draft, or any profile for a programme admin."""
    mine = viewer.member_id is not None and (
        viewer.member_id == str(profile.member_id) or str(profile.member_id) in viewer.principals
    )
    if mine or viewer.is_admin:
        return True
    return profile.status == ProfileStatus.PUBLISHED and profile.active


def relations(profile: Profile, viewer: Viewer, cohorts: Sequence[Cohort]) -> frozenset[Relation]:
    return viewer.relation_to(str(profile.member_id), frozenset(str(c.id) for c in cohorts))


def _contact(profile: Profile | ListedProfile, shown: frozenset[PrivateField]) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "email": profile.email if PrivateField.EMAIL in shown else None,
        "phone": profile.phone if PrivateField.PHONE in shown else None,
        "assistant": None,
        "photo_url": (
            f"/profiles/{profile.member_id}/photo"
            if PrivateField.PHOTO in shown and profile.has_photo
            else None
        ),
    }
    if PrivateField.ASSISTANT in shown and (
        profile.assistant_name or profile.assistant_email or profile.assistant_phone
    ):
        fields["assistant"] = {
            "name": profile.assistant_name,
            "email": profile.assistant_email,
            "phone": profile.assistant_phone,
        }
    return fields


def _organisation(profile: Profile, organisation: Organisation | None) -> dict[str, Any]:
    return {
        "organisation": organisation.name if organisation else profile.organisation,
        "organisation_id": organisation.id if organisation else None,
    }


def search_results_json(
    answer: RememberedAnswer, viewer: Viewer, *, labels: dict[str, str], now: datetime
) -> bytes:
    """A search's answer as this viewer may see it, as the JSON body of `SearchResults`.

    Each card is projected and serialised once per relation set it is shown to and kept with
    the answer (adapters/search_cache.py); the envelope (cursor, facets) once per answer; and
    the whole body once for every member related to nobody on the page.
    """
    if answer.labels is not labels:
        answer.cards.clear()
        answer.to_anyone = None
        answer.labels = labels
    to_anyone = answer.related_to_nobody(viewer)
    if to_anyone and answer.to_anyone is not None:
        body, until = answer.to_anyone
        if until is None or now <= until:
            return body
    cards: list[bytes] = []
    for index, hit in enumerate(answer.outcome.hits):
        profile = hit.profile
        related = viewer.relation_to(str(profile.member_id), profile.cohort_ids)
        stale = is_stale(profile.confirmed_at, now)
        key = (index, related, stale)
        card = answer.cards.get(key)
        if card is None:
            card = _CARD.dump_json(
                _CARD.validate_python(
                    _card(profile, related, labels=labels, snippet=hit.snippet, stale=stale)
                )
            )
            answer.cards[key] = card
        cards.append(card)
    if answer.envelope is None:
        outcome = answer.outcome
        envelope = SearchResults(
            items=[], next_cursor=outcome.next_cursor, capped=outcome.capped, facets=outcome.facets
        ).model_dump_json()
        # Fields serialise in declaration order, so the cards go in after this prefix.
        assert envelope.startswith(_NO_ITEMS)
        answer.envelope = envelope[len(_NO_ITEMS) :].encode()
    body = b'{"items":[' + b",".join(cards) + b"]" + answer.envelope
    if to_anyone:
        answer.to_anyone = (body, answer.turns_stale_at(now))
    return body


_CARD = TypeAdapter(ProfileCard)
_NO_ITEMS = '{"items":[]'


def _card(
    card: ListedProfile,
    related: frozenset[Relation],
    *,
    labels: dict[str, str],
    snippet: str | None,
    stale: bool,
) -> dict[str, Any]:
    """A search result: the listing fields plus the private fields these relations may see."""
    shown = visible_fields(visibility_settings(card.visibility), related)
    return {
        "member_id": card.member_id,
        "full_name": card.full_name,
        "preferred_name": card.preferred_name,
        "job_title": card.job_title,
        "organisation": card.organisation_name or card.organisation,
        "organisation_id": card.organisation_id if card.organisation_name else None,
        "sector": card.sector,
        "region": card.region,
        "expertise": [{"slug": s, "label": labels.get(s, s)} for s in card.expertise],
        "cohorts": [{"id": c.id, "name": c.name, "year": c.year} for c in card.cohorts],
        **_contact(card, shown),
        "stale": stale,
        "snippet": _render_snippet(snippet),
    }


def _render_snippet(snippet: str | None) -> str | None:
    """HTML-escaped text with the matched words in <mark>: safe to insert into a page."""
    if not snippet:
        return None
    escaped = html.escape(snippet, quote=False)
    return escaped.replace(MARK_START, "<mark>").replace(MARK_STOP, "</mark>")


def project_profile(
    profile: Profile,
    viewer: Viewer,
    *,
    cohorts: Sequence[Cohort],
    organisation: Organisation | None,
    labels: dict[str, str],
    now: datetime,
) -> dict[str, Any]:
    """A whole profile as this viewer may see it; owners and delegates also get the
    visibility settings and the completeness nudges."""
    related = relations(profile, viewer, cohorts)
    settings = visibility_settings(profile.visibility)
    shown = visible_fields(settings, related)
    owner_view = Relation.SELF in related or Relation.DELEGATE in related
    body: dict[str, Any] = {
        "member_id": profile.member_id,
        "full_name": profile.full_name,
        "preferred_name": profile.preferred_name,
        "job_title": profile.job_title,
        **_organisation(profile, organisation),
        "sector": profile.sector,
        "region": profile.region,
        "expertise": [{"slug": s, "label": labels.get(s, s)} for s in profile.expertise],
        "languages": list(profile.languages),
        "cohorts": [{"id": c.id, "name": c.name, "year": c.year} for c in cohorts],
        "bio": profile.bio if PrivateField.BIO in shown else None,
        **_contact(profile, shown),
        "status": profile.status,
        "stale": is_stale(profile.confirmed_at, now),
        "created_at": profile.created_at,
        "updated_at": profile.updated_at,
        "published_at": profile.published_at,
        "confirmed_at": profile.confirmed_at,
        "relation": sorted(r.value for r in related if r not in (Relation.EVERYONE,)),
        "visibility": None,
        "completeness": None,
    }
    if owner_view:
        body["visibility"] = stored_visibility(profile.visibility)
        score, missing = completeness(facts_of(profile))
        body["completeness"] = {
            "score": score,
            "missing": [{"item": m.item, "hint": m.hint} for m in missing],
        }
    return body


def facts_of(profile: Profile) -> ProfileFacts:
    return ProfileFacts(
        job_title=profile.job_title,
        organisation_id=str(profile.organisation_id) if profile.organisation_id else None,
        sector=profile.sector,
        region=profile.region,
        bio=profile.bio,
        expertise=tuple(profile.expertise or ()),
        languages=tuple(profile.languages or ()),
        has_photo=profile.has_photo,
        has_contact=bool(profile.email or profile.phone),
        preferred_name=profile.preferred_name,
    )


@dataclass
class LoadedProfile:
    profile: Profile
    organisation: Organisation | None
    cohorts: list[Cohort]


async def load_profiles(session: AsyncSession, member_ids: Sequence[UUID]) -> list[LoadedProfile]:
    """Profiles with organisation and cohorts, in the order of `member_ids` (missing skipped)."""
    if not member_ids:
        return []
    rows = await session.execute(
        select(Profile, Organisation)
        .join(Organisation, Organisation.id == Profile.organisation_id, isouter=True)
        .where(Profile.member_id.in_(member_ids))
    )
    by_id = {p.member_id: (p, o) for p, o in rows}
    cohorts = await cohorts_of(session, by_id)
    return [LoadedProfile(by_id[i][0], by_id[i][1], cohorts[i]) for i in member_ids if i in by_id]


def now() -> datetime:
    return datetime.now(UTC)


# -- lists ----------------------------------------------------------------------------------


#: pg_trgm word similarity above which an organisation name matches a mistyped query.
ORGANISATION_SIMILARITY = 0.45


async def organisations(
    session: AsyncSession, *, q: str | None, type_: str | None, limit: int, after: str | None
) -> Sequence[Organisation]:
    """By name (keyset on lower(name)); `q` matches anywhere in the name, typos allowed."""
    query = select(Organisation)
    if q:
        query = query.where(
            or_(
                Organisation.name.ilike(f"%{_like(q)}%"),
                func.word_similarity(q, Organisation.name) >= ORGANISATION_SIMILARITY,
            )
        )
    if type_:
        query = query.where(Organisation.type == type_)
    if after is not None:
        query = query.where(func.lower(Organisation.name) > after)
    return (await session.scalars(query.order_by(func.lower(Organisation.name)).limit(limit))).all()


def _like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def contact_requests(
    session: AsyncSession,
    *,
    member_id: UUID,
    direction: str,
    status: str | None,
    limit: int,
    after: tuple[datetime, UUID] | None,
) -> Sequence[ContactRequest]:
    column = ContactRequest.recipient_id if direction == "incoming" else ContactRequest.requester_id
    query = select(ContactRequest).where(column == member_id)
    if status == "expired":
        query = query.where(
            or_(
                ContactRequest.status == "expired",
                and_(ContactRequest.status == "pending", ContactRequest.expires_at <= now()),
            )
        )
    elif status == "pending":
        query = query.where(ContactRequest.status == "pending", ContactRequest.expires_at > now())
    elif status is not None:
        query = query.where(ContactRequest.status == status)
    if after is not None:
        query = query.where(
            tuple_(ContactRequest.created_at, ContactRequest.id)
            < tuple_(literal(after[0]), literal(after[1]))
        )
    return (
        await session.scalars(
            query.order_by(ContactRequest.created_at.desc(), ContactRequest.id.desc()).limit(limit)
        )
    ).all()


async def blocked_by(session: AsyncSession, member_id: UUID) -> Sequence[Block]:
    return (
        await session.scalars(
            select(Block).where(Block.blocker_id == member_id).order_by(Block.created_at.desc())
        )
    ).all()


async def delegates_of(session: AsyncSession, member_id: UUID) -> Sequence[Delegate]:
    return (
        await session.scalars(
            select(Delegate).where(Delegate.principal_id == member_id).order_by(Delegate.created_at)
        )
    ).all()


async def names(session: AsyncSession, member_ids: Iterable[UUID]) -> dict[UUID, str]:
    ids = list(set(member_ids))
    if not ids:
        return {}
    rows = await session.execute(
        select(Profile.member_id, Profile.full_name).where(Profile.member_id.in_(ids))
    )
    return {member_id: name for member_id, name in rows}


async def profile_viewers(
    session: AsyncSession, *, profile_id: UUID, limit: int, before: int | None
) -> Sequence[ProfileView]:
    """Newest first, programme admins' views included (flagged): members see every access."""
    query = select(ProfileView).where(ProfileView.profile_id == profile_id)
    if before is not None:
        query = query.where(ProfileView.id < before)
    return (await session.scalars(query.order_by(ProfileView.id.desc()).limit(limit))).all()


async def views_by(
    session: AsyncSession,
    *,
    viewer_id: UUID | None,
    profile_id: UUID | None,
    limit: int,
    before: int | None,
) -> Sequence[ProfileView]:
    query = select(ProfileView)
    if viewer_id is not None:
        query = query.where(ProfileView.viewer_id == viewer_id)
    if profile_id is not None:
        query = query.where(ProfileView.profile_id == profile_id)
    if before is not None:
        query = query.where(ProfileView.id < before)
    return (await session.scalars(query.order_by(ProfileView.id.desc()).limit(limit))).all()


async def activity(
    session: AsyncSession, *, member_id: UUID, limit: int, before: int | None
) -> Sequence[ActivityEntry]:
    query = select(ActivityEntry).where(ActivityEntry.member_id == member_id)
    if before is not None:
        query = query.where(ActivityEntry.id < before)
    return (await session.scalars(query.order_by(ActivityEntry.id.desc()).limit(limit))).all()


async def notices(session: AsyncSession, member_id: UUID, limit: int) -> Sequence[Notice]:
    return (
        await session.scalars(
            select(Notice)
            .where(Notice.member_id == member_id)
            .order_by(Notice.id.desc())
            .limit(limit)
        )
    ).all()


async def reports(
    session: AsyncSession, *, status: str | None, member_id: UUID | None, limit: int
) -> Sequence[ProfileReport]:
    query = select(ProfileReport)
    if status:
        query = query.where(ProfileReport.status == status)
    if member_id:
        query = query.where(ProfileReport.member_id == member_id)
    return (
        await session.scalars(query.order_by(ProfileReport.created_at.desc()).limit(limit))
    ).all()

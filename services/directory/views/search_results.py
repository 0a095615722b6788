"""A search's answer as the JSON body one viewer is sent, projected and serialised as little as
possible (adapters/search/cache.py keeps what can be reused)."""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter

from services.directory.adapters.search.cache import RememberedAnswer
from services.directory.adapters.search.results import ListedProfile
from services.directory.domain.model import (
    Relation,
    Viewer,
    is_stale,
    visibility_settings,
    visible_fields,
)
from services.directory.domain.search_query import MARK_START, MARK_STOP
from services.directory.schemas import ProfileCard, SearchResults
from services.directory.views.profiles import contact_fields


def search_results_json(
    answer: RememberedAnswer, viewer: Viewer, *, labels: dict[str, str], now: datetime
) -> bytes:
    """A search's answer as this viewer may see it, as the JSON body of `SearchResults`.

    Each card is projected and serialised once per relation set it is shown to and kept with
    the answer (adapters/search/cache.py); the envelope (cursor, facets) once per answer; and
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
        **contact_fields(card, shown),
        "stale": stale,
        "snippet": _render_snippet(snippet),
    }


def _render_snippet(snippet: str | None) -> str | None:
    """HTML-escaped text with the matched words in <mark>: safe to insert into a page."""
    if not snippet:
        return None
    escaped = html.escape(snippet, quote=False)
    return escaped.replace(MARK_START, "<mark>").replace(MARK_STOP, "</mark>")

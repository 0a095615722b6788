"""A search page kept whole for members related to nobody on it (views.search_results_json)
holds only until one of its cards turns stale; each card still says what it says as time passes."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

from services.directory.adapters.search.cache import RememberedAnswer
from services.directory.adapters.search.results import ListedProfile, SearchHit, SearchOutcome
from services.directory.domain.model import STALE_AFTER, Viewer
from services.directory.views.search_results import search_results_json

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
LABELS: dict[str, str] = {}


def listed(name: str, confirmed_at: datetime | None) -> ListedProfile:
    return ListedProfile(
        member_id=uuid.uuid4(),
        full_name=name,
        preferred_name=None,
        job_title="Director",
        organisation="Cabinet Office",
        organisation_id=None,
        organisation_name=None,
        sector="central_government",
        region="london",
        expertise=(),
        email=f"{name.lower()}@example.gov.uk",
        phone=None,
        assistant_name=None,
        assistant_email=None,
        assistant_phone=None,
        has_photo=False,
        visibility={"email": "connections"},
        confirmed_at=confirmed_at,
        cohorts=(),
    )


def page(*profiles: ListedProfile) -> RememberedAnswer:
    hits = tuple(SearchHit(p, sort_key=p.full_name) for p in profiles)
    return RememberedAnswer(SearchOutcome(hits=hits, next_cursor=None))


def stale_flags(body: bytes) -> dict[str, bool]:
    return {card["full_name"]: card["stale"] for card in json.loads(body)["items"]}


def stranger() -> Viewer:
    return Viewer(member_id=str(uuid.uuid4()))


def test_a_kept_page_is_made_again_once_a_card_on_it_turns_stale() -> None:
    turning = NOW - STALE_AFTER + timedelta(hours=1)  # stale an hour from now
    answer = page(listed("Ada", turning), listed("Ben", NOW), listed("Cy", None))

    first = search_results_json(answer, stranger(), labels=LABELS, now=NOW)
    assert stale_flags(first) == {"Ada": False, "Ben": False, "Cy": False}
    # Another stranger, a little later: the same page, kept.
    later = search_results_json(answer, stranger(), labels=LABELS, now=NOW + timedelta(minutes=59))
    assert later is first

    after = search_results_json(answer, stranger(), labels=LABELS, now=NOW + timedelta(hours=2))
    assert stale_flags(after) == {"Ada": True, "Ben": False, "Cy": False}
    again = search_results_json(answer, stranger(), labels=LABELS, now=NOW + timedelta(hours=3))
    assert again is after


def test_a_connection_of_someone_on_a_kept_page_gets_their_own_cards() -> None:
    ada = listed("Ada", NOW)
    answer = page(ada, listed("Ben", NOW))
    search_results_json(answer, stranger(), labels=LABELS, now=NOW)

    connection = Viewer(member_id=str(uuid.uuid4()), connections=frozenset({str(ada.member_id)}))
    body = json.loads(search_results_json(answer, connection, labels=LABELS, now=NOW))
    emails = {card["full_name"]: card["email"] for card in body["items"]}
    assert emails == {"Ada": "ada@example.gov.uk", "Ben": None}

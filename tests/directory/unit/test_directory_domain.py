"""The directory's pure rules: privacy, completeness, query tokenising, photo sniffing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.directory.domain.model import (
    DEFAULT_VISIBILITY,
    EVERYONE,
    PrivateField,
    ProfileFacts,
    Relation,
    Viewer,
    Visibility,
    completeness,
    is_stale,
    may_see,
    visibility_settings,
)
from services.directory.domain.photos import sniff_image_type
from services.directory.domain.search_query import (
    MARK_START,
    MARK_STOP,
    MAX_TERMS,
    WordChoices,
    parse_query,
    snippet,
)

OWNER = "owner"


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [
        (Viewer(OWNER), {"departments", "members", "cohort", "connections", "hidden"}),
        (
            Viewer("pa", principals=frozenset({OWNER})),
            {"departments", "members", "cohort", "connections", "hidden"},
        ),
        (Viewer("c", connections=frozenset({OWNER})), {"departments", "members", "connections"}),
        (Viewer("k", cohorts=frozenset({"2025"})), {"departments", "members", "cohort"}),
        (Viewer("m"), {"departments", "members"}),
        (Viewer("admin", is_admin=True), {"departments", "members"}),
        (EVERYONE, {"departments", "members"}),
    ],
)
def test_each_relation_sees_exactly_its_levels(viewer: Viewer, expected: set[str]) -> None:
    relations = viewer.relation_to(OWNER, frozenset({"2025"}))
    assert {v.value for v in Visibility if may_see(v, relations)} == expected


def test_another_department_sees_only_what_is_shared_with_departments() -> None:
    department = frozenset({Relation.DEPARTMENT})
    assert {v.value for v in Visibility if may_see(v, department)} == {"departments"}


def test_unknown_stored_levels_fall_back_to_hidden_not_wider() -> None:
    settings = visibility_settings({"email": "world", "phone": "members", "nonsense": "members"})
    assert settings[PrivateField.EMAIL] is Visibility.HIDDEN
    assert settings[PrivateField.PHONE] is Visibility.MEMBERS
    assert settings[PrivateField.ASSISTANT] is DEFAULT_VISIBILITY[PrivateField.ASSISTANT]


def test_contact_details_are_private_by_default() -> None:
    for field in (PrivateField.EMAIL, PrivateField.PHONE, PrivateField.ASSISTANT):
        assert not may_see(DEFAULT_VISIBILITY[field], frozenset({Relation.MEMBER}))


def _facts(**overrides: object) -> ProfileFacts:
    base: dict[str, object] = {
        "job_title": "Chief Executive",
        "organisation_id": "o",
        "sector": "nhs_health",
        "region": "wales",
        "bio": "b" * 80,
        "expertise": ("health-and-care",),
        "languages": ("Welsh",),
        "has_photo": True,
        "has_contact": True,
        "preferred_name": "Sian",
    }
    return ProfileFacts(**(base | overrides))  # type: ignore[arg-type]


def test_a_complete_profile_scores_100_with_nothing_missing() -> None:
    assert completeness(_facts()) == (100, [])


def test_missing_items_are_listed_with_hints_and_lower_the_score() -> None:
    score, missing = completeness(_facts(bio="too short", has_photo=False))
    assert score == 80
    assert [m.item for m in missing] == ["bio", "photo"]
    assert all(m.hint for m in missing)


def test_staleness_starts_after_twelve_months() -> None:
    now = datetime(2026, 11, 23, tzinfo=UTC)
    assert not is_stale(now - timedelta(days=364), now)
    assert is_stale(now - timedelta(days=366), now)
    assert not is_stale(None, now)


def test_query_operators_never_survive_tokenising() -> None:
    terms = parse_query("chelmsford & !(nhs | police) <-> 'x':* \\ ;DROP TABLE profiles;--")
    assert terms.terms == ("chelmsford", "nhs", "police", "x", "drop", "table")
    assert terms.tsquery() == "(chelmsford:*) & (nhs:*) & (police:*) & (x) & (drop:*) & (table:*)"


@given(st.text(max_size=300))
def test_any_text_gives_a_bounded_query_of_plain_words(text: str) -> None:
    terms = parse_query(text)
    assert len(terms.terms) <= MAX_TERMS
    for term in terms.terms:
        assert term.isalnum()
        assert len(term) <= 40
    choices = WordChoices(
        completions={t: [t, t + "x"] for t in terms.terms},
        similar={t: ["similar"] for t in terms.terms},
    )
    query = terms.tsquery(choices, max_completions=5)
    assert not set(query) & set("!<>'\\\"")


def test_similar_words_widen_a_term_without_operators_leaking() -> None:
    query = parse_query("Chelmsfrod").tsquery(
        WordChoices(similar={"chelmsfrod": ["chelmsford", "bad|word"]})
    )
    assert query == "(chelmsfrod:* | chelmsford)"


def test_a_prefix_is_spelled_out_as_the_words_it_completes_to_while_they_are_few() -> None:
    terms = parse_query("net zero chelmsfrod")
    choices = WordChoices(
        completions={"net": ["net", "network"], "zero": ["zero"]},
        similar={"chelmsfrod": ["chelmsford"]},
    )
    assert terms.tsquery(choices, max_completions=2) == (
        "(net | network) & (zero) & (chelmsfrod:* | chelmsford)"
    )
    # Too many completions (or an unsafe one): the prefix scan stays, so nothing is lost.
    assert terms.tsquery(choices, max_completions=1) == (
        "(net:*) & (zero) & (chelmsfrod:* | chelmsford)"
    )
    unsafe = WordChoices(completions={"net": ["net", "net|x"]})
    assert parse_query("net").tsquery(unsafe, max_completions=5) == "(net:*)"


def _marked(text: str | None) -> str | None:
    return text and text.replace(MARK_START, "[").replace(MARK_STOP, "]")


def test_a_snippet_marks_prefixes_and_similar_words_in_context() -> None:
    bio = (
        "Before joining the council I spent ten years in the private sector. "
        "I lead Essex networks on net-zero housing from Chelmsford, and mentor new directors."
    )
    choices = WordChoices(similar={"chelmsfrod": ["chelmsford"]})
    found = snippet(bio, parse_query("net chelmsfrod"), choices)
    assert _marked(found) == (
        "sector. I lead Essex [networks] on [net]-zero housing from "
        "[Chelmsford], and mentor new directors."
    )


def test_a_snippet_needs_every_term_in_the_text() -> None:
    bio = "Director of public health for Kent."
    assert snippet(bio, parse_query("health smith"), WordChoices()) is None
    assert snippet(bio, parse_query("he"), WordChoices()) is None  # short: whole words only
    assert _marked(snippet(bio, parse_query("kent heal"), WordChoices())) == (
        "Director of public [health] for [Kent]."
    )
    assert snippet(None, parse_query("kent"), WordChoices()) is None


def test_a_long_text_gives_a_bounded_snippet() -> None:
    bio = " ".join(["word"] * 5000 + ["resilience"] + ["word"] * 5000)
    found = snippet(bio, parse_query("resilience"), WordChoices())
    assert found is not None
    assert len(found.split()) == 24
    assert f"{MARK_START}resilience{MARK_STOP}" in found


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\xff\xd8\xff\xe0" + b"\x00" * 20, "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 8, "image/png"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 8, "image/webp"),
        (b"GIF89a" + b"\x00" * 20, None),
        (b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", None),
        (b"%PDF-1.7", None),
        (b"", None),
    ],
)
def test_photos_are_what_their_bytes_say(data: bytes, expected: str | None) -> None:
    assert sniff_image_type(data) == expected

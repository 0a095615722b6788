"""The public directory entry (issue 9): over random profiles and visibility settings, it carries
exactly the fields the member shares with departments, and nothing else, down to the bytes of
the event other departments receive."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.events.directory import PublicProfilePublishedV1
from services.directory.adapters.orm import Organisation, Profile
from services.directory.domain.model import (
    LISTED_LEVELS,
    ListedField,
    PrivateField,
    ProfileStatus,
    Visibility,
    shared_with_departments,
)
from services.directory.events import PUBLIC_FIELDS_OF, public_entry

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
#: Every value a profile holds that is not a departments choice: none may ever leave.
NEVER_PUBLIC = {"has_photo", "cohort_ids", "confirmed_at", "published_at", "stale_since"}

text = st.text(min_size=1, max_size=30)
maybe = st.none() | text
stored_level = st.sampled_from([*Visibility, "nonsense"])  # what a database row could hold


@st.composite
def profiles(draw: st.DrawFn) -> tuple[Profile, Organisation | None]:
    visibility = draw(
        st.dictionaries(st.sampled_from([*PrivateField, *ListedField, "unknown"]), stored_level)
    )
    organisation = draw(
        st.none()
        | st.builds(Organisation, id=st.uuids(), name=text, type=st.just("ministerial_department"))
    )
    profile = Profile(
        member_id=uuid.uuid4(),
        full_name=draw(text),
        preferred_name=draw(maybe),
        job_title=draw(maybe),
        organisation=draw(text),
        organisation_id=organisation.id if organisation else None,
        sector=draw(st.none() | st.sampled_from(["nhs_health", "local_government"])),
        region=draw(st.none() | st.sampled_from(["wales", "london"])),
        expertise=draw(st.lists(st.sampled_from(["digital", "finance"]), unique=True)),
        languages=draw(st.lists(st.sampled_from(["Welsh", "English"]), unique=True)),
        bio=draw(maybe),
        email=draw(st.none() | st.just("leader@example.gov.uk")),
        phone=draw(st.none() | st.just("+44 20 7946 0000")),
        assistant_name=draw(maybe),
        assistant_email=draw(st.none() | st.just("pa@example.gov.uk")),
        assistant_phone=draw(maybe),
        has_photo=draw(st.booleans()),
        visibility={str(k): str(v) for k, v in visibility.items()},
        status=draw(st.sampled_from([ProfileStatus.PUBLISHED, ProfileStatus.DRAFT])),
        active=draw(st.booleans()),
    )
    return profile, organisation


def chosen_for_departments(stored: dict[str, str]) -> set[str]:
    """Read straight from the stored settings, independently of the code under test."""
    listed = {f.value for f in ListedField if stored.get(f.value) == Visibility.DEPARTMENTS}
    private = {
        f.value
        for f in PrivateField
        if f is not PrivateField.PHOTO and stored.get(f.value) == Visibility.DEPARTMENTS
    }
    return listed | private


@settings(max_examples=300, deadline=None)
@given(profiles())
def test_the_entry_carries_exactly_the_departments_visible_fields(
    drawn: tuple[Profile, Organisation | None],
) -> None:
    profile, organisation = drawn
    entry = public_entry(profile, organisation)
    chosen = chosen_for_departments(profile.visibility)
    listed = profile.status == ProfileStatus.PUBLISHED and profile.active
    if not listed or not chosen:
        assert entry is None
        return
    assert entry is not None
    assert set(entry["shared"]) == chosen == shared_with_departments(profile.visibility)
    allowed = {name for choice in chosen for name in PUBLIC_FIELDS_OF[choice]}
    carried = set(entry) - {"shared"}
    assert carried <= allowed
    assert not carried & NEVER_PUBLIC
    for name in allowed - carried:  # left out only because the member has no value
        assert _value(profile, organisation, name) is None
    for name in carried:
        assert entry[name] == _json(_value(profile, organisation, name))

    message = PublicProfilePublishedV1(
        member_id=profile.member_id, changed_at=NOW, **entry
    ).model_dump(mode="json")
    assert set(message) == carried | {"member_id", "shared", "changed_at"}


@given(st.dictionaries(st.sampled_from(list(ListedField)), st.sampled_from(list(Visibility))))
def test_listed_fields_never_go_narrower_than_members(
    stored: dict[ListedField, Visibility],
) -> None:
    """A stored `hidden` on a listed field (which the API refuses) still means members see it,
    and never that departments do."""
    shared = shared_with_departments({str(k): str(v) for k, v in stored.items()})
    for field, level in stored.items():
        assert (field.value in shared) == (level is Visibility.DEPARTMENTS)
        assert level in LISTED_LEVELS or field.value not in shared


def _value(profile: Profile, organisation: Organisation | None, name: str) -> Any:
    if name == "organisation_id":
        return organisation.id if organisation else None
    if name == "organisation_name":
        return organisation.name if organisation else profile.organisation
    return getattr(profile, name)


def _json(value: Any) -> Any:
    return str(value) if isinstance(value, uuid.UUID) else value

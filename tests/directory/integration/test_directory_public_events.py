"""What other departments receive from the directory (issue 9), read from the real public topics:
a leader's entry only with the fields they chose to share with `departments`, nothing when
nothing shared changed, and a removal when they stop sharing, leave or are erased."""

from __future__ import annotations

import uuid

import httpx
import pytest
from directory_support import TopicRecorder, admin_headers, listed_member
from support import eventually, unique

PROFILES = "public.directory.profile.v1"
PUBLISHED = "public.directory.profile.published.v1"
UPDATED = "public.directory.profile.updated.v1"
REMOVED = "public.directory.profile.removed.v1"


@pytest.fixture
async def client(stack):  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=15) as client:
        yield client


async def _seen(events):  # type: ignore[no-untyped-def]
    return events


async def test_a_leader_shares_chosen_fields_and_departments_get_exactly_those(
    client, stack
) -> None:
    async with TopicRecorder(stack, PROFILES) as public:
        leader = await listed_member(
            client,
            stack,
            "Priya Public",
            bio="Leads the national digital programme " + "x" * 60,
            phone="+44 20 7946 0001",
        )
        # Listed, but nothing shared with departments yet: departments hear nothing.
        shared = await client.patch(
            leader.path,
            json={"visibility": {"name": "departments", "job_title": "departments"}},
            headers=leader.headers,
        )
        assert shared.status_code == 200, shared.text
        assert shared.json()["visibility"]["name"] == "departments"
        [published] = await eventually(lambda: _seen(public.of(PUBLISHED, leader.member_id)))
        assert published.data == {
            "member_id": leader.member_id,
            "shared": ["job_title", "name"],
            "full_name": "Priya Public",
            "job_title": "Permanent Secretary",
            "changed_at": published.data["changed_at"],
        }

        # A members-only change (phone stays at connections, bio at members): nothing public.
        await client.patch(leader.path, json={"phone": "+44 20 7946 0002"}, headers=leader.headers)
        await client.patch(
            leader.path, json={"bio": "A new bio " + "y" * 80}, headers=leader.headers
        )
        # The bio shared too: an update with the bio, still no phone.
        await client.patch(
            leader.path, json={"visibility": {"bio": "departments"}}, headers=leader.headers
        )
        [updated] = await eventually(lambda: _seen(public.of(UPDATED, leader.member_id)))
        assert updated.data["shared"] == ["bio", "job_title", "name"]
        assert updated.data["bio"].startswith("A new bio")
        assert "phone" not in updated.data
        assert "email" not in updated.data

        # Withdrawing every departments field removes the entry; members still see the bio.
        withdrawn = await client.patch(
            leader.path,
            json={"visibility": {"name": "members", "job_title": "members", "bio": "members"}},
            headers=leader.headers,
        )
        assert withdrawn.status_code == 200, withdrawn.text
        await eventually(lambda: _seen(public.of(REMOVED, leader.member_id)))
        # Every message about this leader: the three above, nothing for the members-only edits.
        about = [e.type for e in public.events if e.subject == leader.member_id]
        assert about == [PUBLISHED, UPDATED, REMOVED]
    internal = await client.get(leader.path, headers=leader.headers)
    assert internal.json()["bio"].startswith("A new bio")


@pytest.mark.parametrize("how", ["deactivate", "erasure"])
async def test_leaving_convene_removes_the_public_entry(client, stack, how: str) -> None:
    admin = await admin_headers(stack)
    async with TopicRecorder(stack, PROFILES) as public:
        leader = await listed_member(client, stack, f"Lena Leaving {how}")
        await client.patch(
            leader.path, json={"visibility": {"name": "departments"}}, headers=leader.headers
        )
        await eventually(lambda: _seen(public.of(PUBLISHED, leader.member_id)))
        left = await client.post(f"/api/identity/members/{leader.member_id}/{how}", headers=admin)
        assert left.status_code == 200, left.text
        [removed] = await eventually(lambda: _seen(public.of(REMOVED, leader.member_id)))
        assert set(removed.data) == {"member_id", "removed_at"}


async def test_unpublishing_removes_the_entry_and_a_leader_sharing_nothing_is_never_sent(
    client, stack
) -> None:
    async with TopicRecorder(stack, PROFILES) as public:
        quiet = await listed_member(client, stack, "Quentin Quiet")
        sharer = await listed_member(client, stack, "Sasha Sharer")
        await client.patch(
            sharer.path, json={"visibility": {"sector": "departments"}}, headers=sharer.headers
        )
        await eventually(lambda: _seen(public.of(PUBLISHED, sharer.member_id)))
        await client.post(f"{sharer.path}/unpublish", headers=sharer.headers)
        await eventually(lambda: _seen(public.of(REMOVED, sharer.member_id)))
        # The quiet leader published before the sharer did anything: had anything been sent
        # for them, it would be on the topic already.
        assert [e for e in public.events if e.subject == quiet.member_id] == []


async def test_levels_a_field_cannot_have_are_refused(client, stack) -> None:
    leader = await listed_member(client, stack, "Val Validate")
    for visibility in (
        {"photo": "departments"},  # a photo never leaves Convene
        {"name": "hidden"},  # every member sees the name: members or departments only
        {"job_title": "connections"},
        {"email": "world"},
        {"shoe_size": "departments"},
    ):
        response = await client.patch(
            leader.path, json={"visibility": visibility}, headers=leader.headers
        )
        assert response.status_code == 422, (visibility, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    mine = await client.get(leader.path, headers=leader.headers)
    assert mine.json()["visibility"]["photo"] == "members"
    assert mine.json()["visibility"]["name"] == "members"


async def test_only_the_member_may_share_with_departments(client, stack) -> None:
    leader = await listed_member(client, stack, "Olive Owner")
    admin = await admin_headers(stack)
    response = await client.patch(
        leader.path, json={"visibility": {"email": "departments"}}, headers=admin
    )
    assert response.status_code in (403, 404), response.text
    assert response.headers["content-type"] == "application/problem+json"
    mine = await client.get(leader.path, headers=leader.headers)
    assert mine.json()["visibility"]["email"] == "connections"


async def test_a_new_organisation_is_announced_to_departments(client, stack) -> None:
    admin = await admin_headers(stack)
    async with TopicRecorder(stack, "public.directory.organisation.v1") as public:
        name = unique("Office for Public Events")
        added = await client.post(
            "/api/directory/organisations",
            json={"name": name, "type": "non_ministerial_department"},
            headers=admin,
        )
        assert added.status_code == 201, added.text
        org_id = added.json()["id"]
        [event] = await eventually(
            lambda: _seen(public.of("public.directory.organisation.added.v1", org_id))
        )
    assert event.data["name"] == name
    assert event.data["type"] == "non_ministerial_department"
    assert "added_by" not in event.data
    assert uuid.UUID(event.data["organisation_id"])


async def test_a_renamed_organisation_reaches_departments_and_the_entries_that_show_it(
    client, stack
) -> None:
    admin = await admin_headers(stack)
    added = await client.post(
        "/api/directory/organisations",
        json={"name": unique("Office for Renaming"), "type": "executive_agency"},
        headers=admin,
    )
    org_id = added.json()["id"]
    sharer = await listed_member(client, stack, "Oren Org", organisation_id=org_id)
    await client.patch(
        sharer.path, json={"visibility": {"organisation": "departments"}}, headers=sharer.headers
    )
    new_name = unique("Agency for Renamed Things")
    body = {"name": new_name, "type": "non_ministerial_department"}
    async with (
        TopicRecorder(stack, "public.directory.organisation.v1") as organisations,
        TopicRecorder(stack, PROFILES) as profiles,
    ):
        renamed = await client.put(
            f"/api/directory/organisations/{org_id}", json=body, headers=admin
        )
        assert renamed.status_code == 200, renamed.text
        [updated] = await eventually(
            lambda: _seen(organisations.of("public.directory.organisation.updated.v1", org_id))
        )
        assert updated.data["name"] == new_name
        assert updated.data["type"] == "non_ministerial_department"
        [entry] = await eventually(lambda: _seen(profiles.of(UPDATED, sharer.member_id)))
        assert entry.data["organisation_name"] == new_name
        assert entry.data["organisation_id"] == org_id
        assert entry.data["shared"] == ["organisation"]
    shown = await client.get(sharer.path, headers=sharer.headers)
    assert shown.json()["organisation"] == new_name

    unknown = await client.put(
        f"/api/directory/organisations/{uuid.uuid4()}", json=body, headers=admin
    )
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    member = await client.put(
        f"/api/directory/organisations/{org_id}", json=body, headers=sharer.headers
    )
    assert member.status_code == 403

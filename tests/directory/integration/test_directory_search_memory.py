"""Search answers remembered in memory are never stale and never carry one viewer's view to
another: a second directory replica sees every change at once, and privacy applies per viewer."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from directory_support import (
    admin_headers,
    connect,
    draft_member,
    join_new_cohort,
    listed_member,
)

from services.chassis.app import create_service_app
from services.directory.bootstrap import SERVICE

SEARCH = "/api/directory/profiles"
#: The same search on the service itself (the gateway strips its /api/directory prefix).
DIRECT = "/profiles"


@pytest.fixture
async def client(stack):  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=15) as client:
        yield client


@pytest.fixture
async def replica(stack) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    """Another directory process on the same database, called directly (as the gateway would)."""
    app = create_service_app(SERVICE, stack.runtime("directory").settings)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://replica") as client:
            client.app = app  # type: ignore[attr-defined]
            yield client
    finally:
        await app.state.searching.aclose()  # its held connection, as the lifespan would
        await app.state.runtime.engine.dispose()


def cards(response: httpx.Response) -> dict[str, dict]:  # type: ignore[type-arg]
    assert response.status_code == 200, response.text
    return {c["member_id"]: c for c in response.json()["items"]}


async def test_a_replica_shows_a_change_made_elsewhere_on_its_next_search(
    client, stack, replica
) -> None:
    mark = f"Rememberwell{uuid.uuid4().hex[:6]}"
    viewer = await draft_member(client, stack, "Rhea Plica")
    leader = await listed_member(client, stack, f"Imogen {mark}", job_title="Chief Executive")
    query = {"q": mark}
    for _ in range(2):
        before = cards(await replica.get(DIRECT, params=query, headers=viewer.headers))
        assert before[leader.member_id]["job_title"] == "Chief Executive"
    assert len(replica.app.state.searching.answers) > 0  # type: ignore[attr-defined]

    # The change goes through the gateway to the other replica; nothing tells this one.
    patched = await client.patch(
        leader.path, json={"job_title": "Director General"}, headers=leader.headers
    )
    assert patched.status_code == 200, patched.text
    after = cards(await replica.get(DIRECT, params=query, headers=viewer.headers))
    assert after[leader.member_id]["job_title"] == "Director General"

    admin = await admin_headers(stack)
    organisation = await client.post(
        "/api/directory/organisations",
        json={"name": f"Office of {mark}", "type": "ministerial_department"},
        headers=admin,
    )
    assert organisation.status_code == 201, organisation.text
    moved = await client.patch(
        leader.path, json={"organisation_id": organisation.json()["id"]}, headers=leader.headers
    )
    assert moved.status_code == 200, moved.text
    cards(await replica.get(DIRECT, params=query, headers=viewer.headers))
    renamed = await client.put(
        f"/api/directory/organisations/{organisation.json()['id']}",
        json={"name": f"Department of {mark}", "type": "ministerial_department"},
        headers=admin,
    )
    assert renamed.status_code == 200, renamed.text
    found = cards(await replica.get(DIRECT, params=query, headers=viewer.headers))
    assert found[leader.member_id]["organisation"] == f"Department of {mark}"

    unpublished = await client.post(f"{leader.path}/unpublish", headers=leader.headers)
    assert unpublished.status_code == 200, unpublished.text
    gone = cards(await replica.get(DIRECT, params=query, headers=viewer.headers))
    assert leader.member_id not in gone


async def owner_contact_and_stranger(client, stack, mark: str, email: str):  # type: ignore[no-untyped-def]
    """A listed owner whose email only connections see, one connection, one stranger."""
    owner = await listed_member(client, stack, f"Olwen {mark}", email=email)
    kept = await client.patch(
        owner.path, json={"visibility": {"email": "connections"}}, headers=owner.headers
    )
    assert kept.status_code == 200, kept.text
    contact = await listed_member(client, stack, f"Colm Tact{mark}")
    await connect(client, contact, owner)
    stranger = await draft_member(client, stack, f"Stan Ranger{mark}")
    return owner, contact, stranger


async def test_the_same_answer_shows_each_viewer_only_what_they_may_see(client, stack) -> None:
    mark = f"Sharedanswer{uuid.uuid4().hex[:6]}"
    owner, contact, stranger = await owner_contact_and_stranger(
        client, stack, mark, f"olwen.{mark.lower()}@example.gov.uk"
    )

    seen: list[tuple[str, str | None]] = []
    for who in (contact, stranger, contact, stranger):
        found = cards(await client.get(SEARCH, params={"q": mark}, headers=who.headers))
        seen.append((who.member_id, found[owner.member_id]["email"]))
    email = f"olwen.{mark.lower()}@example.gov.uk"
    assert seen == [
        (contact.member_id, email),
        (stranger.member_id, None),
        (contact.member_id, email),
        (stranger.member_id, None),
    ]


async def test_searches_made_at_the_same_moment_each_show_their_own_viewer_s_fields(
    client, stack
) -> None:
    # Concurrent searches share the statement that reads who is searching
    # (adapters/coalescing.py): each must still be answered for its own viewer.
    mark = f"Sametime{uuid.uuid4().hex[:6]}"
    email = f"nia.{mark.lower()}@example.gov.uk"
    owner, contact, stranger = await owner_contact_and_stranger(client, stack, mark, email)

    viewers = [contact, stranger] * 6
    answers = await asyncio.gather(
        *(client.get(SEARCH, params={"q": mark}, headers=who.headers) for who in viewers)
    )

    seen = [cards(answer)[owner.member_id]["email"] for answer in answers]
    assert seen == [email, None] * 6


async def test_a_page_kept_whole_for_strangers_is_never_sent_to_anyone_related(
    client, stack
) -> None:
    # A member related to nobody on a page is sent the page as kept whole for all such
    # members; the first to ask is a stranger, so each related viewer after must not be.
    mark = f"Wholepage{uuid.uuid4().hex[:6]}"
    email = f"olwen.{mark.lower()}@example.gov.uk"
    owner, contact, stranger = await owner_contact_and_stranger(client, stack, mark, email)
    kept = await client.patch(
        owner.path,
        json={"phone": "+44 20 7946 0002", "visibility": {"phone": "cohort"}},
        headers=owner.headers,
    )
    assert kept.status_code == 200, kept.text
    cohort_mate = await draft_member(client, stack, f"Cora Hortmate{mark}")
    await join_new_cohort(client, stack, mark, owner, cohort_mate)
    delegate = await draft_member(client, stack, f"Dee Legate{mark}")
    named = await client.post(
        f"{owner.path}/delegates", json={"delegate_id": delegate.member_id}, headers=owner.headers
    )
    assert named.status_code == 204, named.text
    other_stranger = await draft_member(client, stack, f"Sid Ranger{mark}")

    seen = {}
    for who in (stranger, delegate, cohort_mate, contact, other_stranger, stranger):
        found = cards(await client.get(SEARCH, params={"q": mark}, headers=who.headers))
        card = found[owner.member_id]
        seen[who.full_name] = (card["email"], card["phone"])
    assert seen == {
        stranger.full_name: (None, None),
        delegate.full_name: (email, "+44 20 7946 0002"),
        cohort_mate.full_name: (None, "+44 20 7946 0002"),
        contact.full_name: (email, None),
        other_stranger.full_name: (None, None),
    }

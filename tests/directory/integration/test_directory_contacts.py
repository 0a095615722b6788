"""Contact across boundaries: request with a reason, accept or decline, expiry, blocking, the
daily limit, delegates answering for their principal, and the events each step publishes."""

from __future__ import annotations

import httpx
import pytest
from directory_support import TopicRecorder, connect, draft_member, listed_member
from sqlalchemy import text
from support import eventually

REQUESTS = "/api/directory/contact-requests"
REASON = "I lead the regional resilience forum and would value your view on flooding."


@pytest.fixture
async def client(stack):  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=15) as client:
        yield client


async def ask(client, requester, recipient, reason: str = REASON) -> httpx.Response:  # type: ignore[no-untyped-def]
    return await client.post(
        REQUESTS,
        json={"recipient_id": recipient.member_id, "reason": reason},
        headers=requester.headers,
    )


async def decide(client, member, request_id: str, decision: str) -> httpx.Response:  # type: ignore[no-untyped-def]
    return await client.post(
        f"{REQUESTS}/{request_id}/decision", json={"decision": decision}, headers=member.headers
    )


async def test_accepting_shows_each_other_connection_fields_and_publishes_events(
    client, stack
) -> None:
    asker = await listed_member(client, stack, "Aled Asker", phone="+44 29 2000 0001")
    chief = await listed_member(
        client, stack, "Chiara Chief", phone="+44 20 7000 0002", email="chiara@example.gov.uk"
    )
    assert (await client.get(chief.path, headers=asker.headers)).json()["phone"] is None

    async with TopicRecorder(stack, "directory.contact_request.v1") as events:
        made = await ask(client, asker, chief)
        assert made.status_code == 201, made.text
        request = made.json()
        assert request["status"] == "pending"
        assert request["requester_name"] == "Aled Asker"

        incoming = (await client.get(REQUESTS, headers=chief.headers)).json()["items"]
        assert [(r["id"], r["reason"]) for r in incoming] == [(request["id"], REASON)]
        outgoing = await client.get(
            REQUESTS, params={"direction": "outgoing"}, headers=asker.headers
        )
        assert [r["id"] for r in outgoing.json()["items"]] == [request["id"]]

        own = await decide(client, asker, request["id"], "accept")
        assert own.status_code == 403
        accepted = await decide(client, chief, request["id"], "accept")
        assert accepted.status_code == 200
        assert accepted.json()["status"] == "accepted"
        again = await decide(client, chief, request["id"], "decline")
        assert again.status_code == 409

        async def both_events():  # type: ignore[no-untyped-def]
            made_events = events.of("directory.contact_request.made.v1", request["id"])
            accepted_events = events.of("directory.contact_request.accepted.v1", request["id"])
            return (made_events, accepted_events) if made_events and accepted_events else None

        made_events, accepted_events = await eventually(both_events)
        assert made_events[0].data["reason"] == REASON
        assert made_events[0].data["requester_id"] == asker.member_id
        assert accepted_events[0].data["decided_by"] == chief.member_id

    seen_by_asker = (await client.get(chief.path, headers=asker.headers)).json()
    assert seen_by_asker["phone"] == "+44 20 7000 0002"
    assert seen_by_asker["email"] == "chiara@example.gov.uk"
    assert "connection" in seen_by_asker["relation"]
    assert (await client.get(asker.path, headers=chief.headers)).json()["phone"] == (
        "+44 29 2000 0001"
    )
    connections = (await client.get(f"{chief.path}/connections", headers=chief.headers)).json()
    assert [c["member_id"] for c in connections] == [asker.member_id]
    duplicate = await ask(client, asker, chief)
    assert duplicate.status_code == 409


async def test_declining_connects_nobody_and_says_so_in_an_event(client, stack) -> None:
    asker = await listed_member(client, stack, "Dev Decliner")
    chief = await listed_member(client, stack, "Nora Nope", phone="+44 1 2345")
    async with TopicRecorder(stack, "directory.contact_request.v1") as events:
        request = (await ask(client, asker, chief)).json()
        declined = await decide(client, chief, request["id"], "decline")
        assert declined.json()["status"] == "declined"
        found = await eventually(
            lambda: _async(events.of("directory.contact_request.declined.v1", request["id"]))
        )
        assert found[0].data["recipient_id"] == chief.member_id
    assert (await client.get(chief.path, headers=asker.headers)).json()["phone"] is None


async def _async(value):  # type: ignore[no-untyped-def]
    return value


async def test_pending_requests_block_duplicates_both_ways(client, stack) -> None:
    one = await listed_member(client, stack, "Una First")
    two = await listed_member(client, stack, "Tomas Second")
    assert (await ask(client, one, two)).status_code == 201
    assert (await ask(client, one, two)).status_code == 409
    reverse = await ask(client, two, one)
    assert reverse.status_code == 409
    assert "accept their request" in reverse.json()["detail"]


async def test_requests_expire(client, stack) -> None:
    asker = await listed_member(client, stack, "Ezra Expiry")
    chief = await listed_member(client, stack, "Edith Away")
    request = (await ask(client, asker, chief)).json()
    assert request["expires_at"] > request["created_at"]
    async with stack.runtime("directory").engine.begin() as conn:  # thirty days pass
        await conn.execute(
            text(
                "UPDATE contact_requests SET expires_at = now() - interval '1 minute' WHERE id = :i"
            ),
            {"i": request["id"]},
        )
    late = await decide(client, chief, request["id"], "accept")
    assert late.status_code == 409
    assert "expired" in late.json()["detail"]
    listed = await client.get(
        REQUESTS, params={"direction": "outgoing", "status": "expired"}, headers=asker.headers
    )
    assert [r["status"] for r in listed.json()["items"]] == ["expired"]
    assert (await ask(client, asker, chief)).status_code == 201  # may ask afresh


async def test_a_blocked_member_cannot_ask_and_loses_the_connection(client, stack) -> None:
    pest = await listed_member(client, stack, "Percy Persistent")
    chief = await listed_member(client, stack, "Blanche Blocker", phone="+44 1 999")
    await connect(client, pest, chief)
    assert (await client.get(chief.path, headers=pest.headers)).json()["phone"] == "+44 1 999"
    blocked = await client.post(
        f"{chief.path}/blocks", json={"member_id": pest.member_id}, headers=chief.headers
    )
    assert blocked.status_code == 204
    assert (await client.get(chief.path, headers=pest.headers)).json()["phone"] is None
    refused = await ask(client, pest, chief)
    assert refused.status_code == 403
    assert refused.json()["title"] == "Forbidden"
    listing = (await client.get(f"{chief.path}/blocks", headers=chief.headers)).json()
    assert [b["member_id"] for b in listing] == [pest.member_id]
    assert (await client.get(f"{chief.path}/blocks", headers=pest.headers)).status_code == 403
    unblocked = await client.delete(f"{chief.path}/blocks/{pest.member_id}", headers=chief.headers)
    assert unblocked.status_code == 204
    assert (await ask(client, pest, chief)).status_code == 201


async def test_the_daily_limit_answers_429_with_retry_after(client, stack) -> None:
    keen = await listed_member(client, stack, "Kit Keen")
    limit = stack.runtime("directory").settings.contact_requests_per_day
    for n in range(limit):
        other = await listed_member(client, stack, f"Target{n} Person")
        assert (await ask(client, keen, other)).status_code == 201
    one_more = await listed_member(client, stack, "Target Toomany")
    refused = await ask(client, keen, one_more)
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert 86_000 < int(refused.headers["retry-after"]) <= 86_401


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"reason": "hi"}, 422),
        ({"reason": "x" * 501}, 422),
        ({"reason": REASON, "extra": 1}, 422),
        ({"reason": REASON, "recipient_id": "not-a-uuid"}, 422),
        ({"reason": REASON, "recipient_id": "00000000-0000-4000-8000-000000000000"}, 404),
    ],
)
async def test_bad_requests_are_refused(client, stack, body, status) -> None:
    asker = await listed_member(client, stack, "Bea Badrequest")
    other = await listed_member(client, stack, "Olly Other")
    payload = {"recipient_id": other.member_id} | body
    response = await client.post(REQUESTS, json=payload, headers=asker.headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"


async def test_asking_yourself_or_a_draft_is_refused(client, stack) -> None:
    asker = await listed_member(client, stack, "Sol Self")
    draft = await draft_member(client, stack, "Dora Draft")
    assert (await ask(client, asker, asker)).status_code == 422
    assert (await ask(client, asker, draft)).status_code == 404


async def test_a_delegate_answers_for_their_principal_and_it_is_recorded(client, stack) -> None:
    asker = await listed_member(client, stack, "Hugh Asker")
    chief = await listed_member(client, stack, "Dame Principal")
    office = await draft_member(client, stack, "Pip Privateoffice")
    stranger = await draft_member(client, stack, "Stan Stranger")
    named = await client.post(
        f"{chief.path}/delegates", json={"delegate_id": office.member_id}, headers=chief.headers
    )
    assert named.status_code == 204
    request = (await ask(client, asker, chief)).json()

    assert (
        await client.get(REQUESTS, params={"for": chief.member_id}, headers=stranger.headers)
    ).status_code == 403
    assert (await decide(client, stranger, request["id"], "accept")).status_code == 404
    for_chief = await client.get(REQUESTS, params={"for": chief.member_id}, headers=office.headers)
    assert [r["id"] for r in for_chief.json()["items"]] == [request["id"]]
    accepted = await decide(client, office, request["id"], "accept")
    assert accepted.status_code == 200
    assert accepted.json()["decided_by"] == office.member_id

    activity = (await client.get(f"{chief.path}/activity", headers=chief.headers)).json()
    entry = next(e for e in activity["items"] if e["action"] == "contact_request.accepted")
    assert entry["actor_id"] == office.member_id
    assert entry["as_delegate"] is True
    # The connection is the principal's, not the delegate's.
    assert "connection" in (await client.get(chief.path, headers=asker.headers)).json()["relation"]

"""Signed webhooks against a real receiver: verification, order per key through an outage,
dead letters and redelivery, scopes at delivery time, secret rotation, replay, SSRF."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import text
from subscriptions_support import (
    FOLLOW_UPS,
    REPORTS,
    Receiver,
    by_key,
    department,
    follow_up,
    publish_as_feedback,
    refresh_token,
    register,
)
from support import eventually

ENDPOINTS = "/api/subscriptions/endpoints"


@pytest.fixture
async def client(stack):  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=20) as client:
        yield client


@pytest.fixture
async def admin(stack) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"Authorization": f"Bearer {await stack.admin_token()}"}


@pytest.fixture
async def receivers(stack, client) -> AsyncIterator[Callable[[], Awaitable[Receiver]]]:  # type: ignore[no-untyped-def]
    """Start receivers on the allow-listed ports; afterwards stop them and delete every
    endpoint pointing at them, so no later test gets this test's deliveries."""
    started: list[Receiver] = []

    async def start() -> Receiver:
        receiver = await Receiver(stack.webhook_ports[len(started)]).start()
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        await receiver.stop()
    admin = {"Authorization": f"Bearer {await stack.admin_token()}"}
    listed = await client.get(ENDPOINTS, headers=admin)
    urls = {r.url for r in started}
    async with stack.runtime("subscriptions").unit_of_work() as uow:
        from services.subscriptions.adapters.orm import Endpoint

        for endpoint in listed.json():
            if endpoint["url"] in urls:
                found = await uow.session.get(Endpoint, uuid.UUID(endpoint["id"]))
                if found is not None:
                    await uow.session.delete(found)
        await uow.commit()


async def test_deliveries_are_signed_in_key_order_and_logged(
    client, admin, stack, receivers
) -> None:
    dept = await department(client, admin, [REPORTS, FOLLOW_UPS])
    receiver = await receivers()
    endpoint_id = await register(client, dept, receiver, [FOLLOW_UPS])
    keys = [uuid.uuid4(), uuid.uuid4()]
    ids = await publish_as_feedback(stack, [follow_up(keys[n % 2], n) for n in range(10)])

    async def all_arrived() -> bool:
        return len(receiver.received) >= 10

    await eventually(all_arrived, timeout=30)
    assert receiver.refused == []
    assert sorted(receiver.ids()) == sorted(ids)
    expected = {str(k): [i for n, i in enumerate(ids) if n % 2 == keys.index(k)] for k in keys}
    assert by_key(receiver.received) == expected
    headers = receiver.headers[0]
    assert headers["webhook-id"] == receiver.received[0]["id"]
    assert headers["webhook-signature"].startswith("v1,")
    assert abs(int(headers["webhook-timestamp"]) - datetime.now(UTC).timestamp()) < 120
    event = receiver.received[0]
    assert event["specversion"] == "1.0"
    assert event["type"] == FOLLOW_UPS
    assert event["data"]["campaign_id"] in {str(k) for k in keys}

    log = await client.get(f"{ENDPOINTS}/{endpoint_id}/deliveries?limit=4", headers=dept.headers)
    assert log.status_code == 200
    page = log.json()
    assert len(page["items"]) == 4
    assert page["next_before"] is not None
    assert {item["status_code"] for item in page["items"]} == {204}
    assert all(item["attempt"] == 1 and item["latency_ms"] >= 0 for item in page["items"])
    rest = await client.get(
        f"{ENDPOINTS}/{endpoint_id}/deliveries",
        params={"before": page["next_before"]},
        headers=dept.headers,
    )
    assert len(rest.json()["items"]) == 6
    # A programme admin may inspect every department's endpoints; another department may not.
    everyone = await client.get(ENDPOINTS, headers=admin)
    assert endpoint_id in {e["id"] for e in everyone.json()}
    stranger = await department(client, admin, [FOLLOW_UPS])
    hidden = await client.get(f"{ENDPOINTS}/{endpoint_id}", headers=stranger.headers)
    assert hidden.status_code == 404


async def test_a_receiver_outage_delays_but_never_loses_or_reorders(
    client, admin, stack, receivers
) -> None:
    dept = await department(client, admin, [FOLLOW_UPS])
    receiver = await receivers()
    endpoint_id = await register(client, dept, receiver, [FOLLOW_UPS])
    await receiver.stop()
    keys = [uuid.uuid4() for _ in range(3)]
    ids = await publish_as_feedback(stack, [follow_up(keys[n % 3], n) for n in range(12)])

    async def failing() -> bool:
        log = await client.get(f"{ENDPOINTS}/{endpoint_id}/deliveries", headers=dept.headers)
        errors = [i for i in log.json()["items"] if i["status_code"] is None]
        return len(errors) >= 3

    await eventually(failing, timeout=20)
    await receiver.start()

    async def all_arrived() -> bool:
        return len(set(receiver.ids())) >= 12

    await eventually(all_arrived, timeout=30)
    assert receiver.refused == []
    assert len(receiver.ids()) == len(set(receiver.ids())) == 12  # none lost, none doubled
    expected = {str(k): [i for n, i in enumerate(ids) if n % 3 == keys.index(k)] for k in keys}
    assert by_key(receiver.received) == expected


async def test_a_failing_receiver_gets_dead_letters_that_can_be_redelivered(
    client, admin, stack, receivers
) -> None:
    dept = await department(client, admin, [FOLLOW_UPS])
    receiver = await receivers()
    endpoint_id = await register(client, dept, receiver, [FOLLOW_UPS])
    receiver.mode = "fail"
    ids = await publish_as_feedback(stack, [follow_up(uuid.uuid4(), n) for n in range(2)])

    async def parked() -> list | None:
        page = await client.get(f"{ENDPOINTS}/{endpoint_id}/dead-letters", headers=dept.headers)
        items = page.json()["items"]
        return items if len(items) == 2 else None

    items = await eventually(parked, timeout=40)
    assert sorted(i["event"]["id"] for i in items) == sorted(ids)
    assert all(i["last_status"] == 500 and i["attempts"] > 1 for i in items)
    assert receiver.received == []

    receiver.mode = "ok"
    first = items[0]
    one = await client.post(
        f"{ENDPOINTS}/{endpoint_id}/dead-letters/{first['delivery_id']}/redeliver",
        headers=dept.headers,
    )
    assert one.json() == {"queued": 1}

    async def got(count: int) -> Callable[[], Awaitable[bool]]:
        async def check() -> bool:
            return len(receiver.received) >= count

        return check

    await eventually(await got(1))
    assert receiver.ids() == [first["event"]["id"]]
    rest = await client.post(
        f"{ENDPOINTS}/{endpoint_id}/dead-letters/redeliver", headers=dept.headers
    )
    assert rest.json() == {"queued": 1}
    await eventually(await got(2))
    assert sorted(receiver.ids()) == sorted(ids)
    assert receiver.refused == []
    again = await client.post(
        f"{ENDPOINTS}/{endpoint_id}/dead-letters/{first['delivery_id']}/redeliver",
        headers=dept.headers,
    )
    assert again.status_code == 404
    assert again.headers["content-type"] == "application/problem+json"


async def test_a_type_outside_the_scopes_never_arrives_on_any_path(
    client, admin, stack, receivers
) -> None:
    narrow = await department(client, admin, [REPORTS])
    refused = await client.post(
        ENDPOINTS,
        json={
            "url": f"http://127.0.0.1:{stack.webhook_ports[0]}/hook",
            "event_types": [FOLLOW_UPS],
        },
        headers=narrow.headers,
    )
    assert refused.status_code == 403
    assert refused.json()["title"] == "Not in your scopes"

    dept = await department(client, admin, [REPORTS, FOLLOW_UPS])
    receiver = await receivers()
    endpoint_id = await register(client, dept, receiver, [REPORTS, FOLLOW_UPS])
    # One follow-up is queued while the receiver is down...
    await receiver.stop()
    await publish_as_feedback(stack, [follow_up(uuid.uuid4(), 0)])

    async def queued() -> bool:
        found = await client.get(f"{ENDPOINTS}/{endpoint_id}", headers=dept.headers)
        return found.json()["deliveries"].get("pending", 0) >= 1

    await eventually(queued)
    # ...then the programme takes the follow-up scope away; the department's next token says so.
    reduced = await client.put(
        f"/api/identity/service-accounts/{dept.account_id}/scopes",
        json={"scopes": [f"events:{REPORTS}"]},
        headers=admin,
    )
    assert reduced.status_code == 200, reduced.text
    await refresh_token(client, dept)
    assert (await client.get(ENDPOINTS, headers=dept.headers)).status_code == 200
    await receiver.start()
    # Neither the queued follow-up (checked again at delivery) nor a new one is delivered.
    [later] = await publish_as_feedback(stack, [follow_up(uuid.uuid4(), 1)])

    async def logged() -> bool:
        async with stack.runtime("subscriptions").engine.connect() as conn:
            found = await conn.execute(
                text("SELECT 1 FROM public_events WHERE event_id = :id"), {"id": later}
            )
            return found.first() is not None

    await eventually(logged)

    async def dropped() -> dict | None:
        found = await client.get(f"{ENDPOINTS}/{endpoint_id}", headers=dept.headers)
        counts = found.json()["deliveries"]
        return counts if counts.get("dropped", 0) == 1 and not counts.get("pending") else None

    assert await eventually(dropped, timeout=20) == {"dropped": 1}
    assert receiver.received == []
    feed = await client.get("/api/events", params={"types": FOLLOW_UPS}, headers=dept.headers)
    assert feed.status_code == 403
    everything = await client.get("/api/events", params={"limit": "500"}, headers=dept.headers)
    assert all(e["type"] == REPORTS for e in everything.json()["events"])


async def test_a_rotated_secret_signs_beside_the_old_one_during_the_overlap(
    client, admin, stack, receivers
) -> None:
    dept = await department(client, admin, [FOLLOW_UPS])
    receiver = await receivers()
    endpoint_id = await register(client, dept, receiver, [FOLLOW_UPS])
    old_secret = receiver.secrets[0]
    rotated = await client.post(f"{ENDPOINTS}/{endpoint_id}/rotate-secret", headers=dept.headers)
    assert rotated.status_code == 200
    new_secret = rotated.json()["secret"]
    assert new_secret.startswith("whsec_")
    assert new_secret != old_secret
    assert rotated.json()["previous_secret_valid_until"] is not None

    # A receiver that has not switched yet still verifies; one that has, verifies too.
    receiver.secrets = [old_secret]
    await publish_as_feedback(stack, [follow_up(uuid.uuid4(), 0)])

    async def arrived(count: int) -> Callable[[], Awaitable[bool]]:
        async def check() -> bool:
            return len(receiver.received) >= count

        return check

    await eventually(await arrived(1))
    receiver.secrets = [new_secret]
    await publish_as_feedback(stack, [follow_up(uuid.uuid4(), 1)])
    await eventually(await arrived(2))
    assert receiver.refused == []
    assert len(receiver.headers[-1]["webhook-signature"].split(" ")) == 2


async def test_replay_sends_retained_events_again_in_order(client, admin, stack, receivers) -> None:
    dept = await department(client, admin, [FOLLOW_UPS])
    receiver = await receivers()
    endpoint_id = await register(client, dept, receiver, [FOLLOW_UPS])
    since = datetime.now(UTC) - timedelta(seconds=1)
    key = uuid.uuid4()
    ids = await publish_as_feedback(stack, [follow_up(key, n) for n in range(3)])

    async def mine() -> list[str] | None:
        found = [e["id"] for e in receiver.received if e["subject"] == str(key)]
        return found if len(found) >= len(ids) * (2 if replayed else 1) else None

    replayed = False
    assert await eventually(mine) == ids
    replayed = True
    answer = await client.post(
        f"{ENDPOINTS}/{endpoint_id}/replay", json={"since": since.isoformat()}, headers=dept.headers
    )
    assert answer.status_code == 200
    assert answer.json()["queued"] >= 3
    assert await eventually(mine) == ids + ids
    too_old = await client.post(
        f"{ENDPOINTS}/{endpoint_id}/replay",
        json={"since": (datetime.now(UTC) - timedelta(days=30)).isoformat()},
        headers=dept.headers,
    )
    assert too_old.status_code == 410
    naive = await client.post(
        f"{ENDPOINTS}/{endpoint_id}/replay",
        json={"since": "2026-01-01T00:00:00"},
        headers=dept.headers,
    )
    assert naive.status_code == 422
    assert receiver.refused == []


async def test_ssrf_targets_and_bad_registrations_are_refused(client, admin, stack) -> None:
    dept = await department(client, admin, [FOLLOW_UPS])
    allowed, other = stack.webhook_ports[0], stack.webhook_ports[0] + 1
    refused_urls = [
        "https://127.0.0.1/hook",
        f"http://127.0.0.1:{other}/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "https://169.254.169.254/latest/meta-data/",
        f"https://localhost:{allowed}/hook",  # a name that resolves to loopback
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "http://example.gov.uk/hook",  # plain http outside development
        "ftp://example.gov.uk/hook",
        "not a url",
        "https://user:password@example.gov.uk/hook",
        "https://" + "a" * 2100 + ".gov.uk/",
    ]
    for url in refused_urls:
        response = await client.post(
            ENDPOINTS, json={"url": url, "event_types": [FOLLOW_UPS]}, headers=dept.headers
        )
        assert response.status_code == 422, (url, response.text)
        assert response.headers["content-type"] == "application/problem+json"

    good_url = f"http://127.0.0.1:{allowed}/hook"
    bad_bodies = [
        {"url": good_url, "event_types": ["identity.member.invited.v1"]},
        {"url": good_url, "event_types": ["made.up.v1"]},
        {"url": good_url, "event_types": []},
        {"url": good_url, "event_types": [FOLLOW_UPS] * 51},
        {"url": good_url, "event_types": [FOLLOW_UPS], "description": "x" * 501},
        {"event_types": [FOLLOW_UPS]},
        {"url": good_url, "event_types": "feedback"},
    ]
    for body in bad_bodies:
        response = await client.post(ENDPOINTS, json=body, headers=dept.headers)
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"] == "application/problem+json"

    # Nobody listening: registration succeeds (pending), verification fails with a problem.
    pending = await client.post(
        ENDPOINTS, json={"url": good_url, "event_types": [FOLLOW_UPS]}, headers=dept.headers
    )
    assert pending.status_code == 201
    endpoint_id = pending.json()["endpoint"]["id"]
    failed = await client.post(f"{ENDPOINTS}/{endpoint_id}/verify", headers=dept.headers)
    assert failed.status_code == 422
    assert failed.json()["title"] == "Verification failed"
    replay = await client.post(
        f"{ENDPOINTS}/{endpoint_id}/replay",
        json={"since": datetime.now(UTC).isoformat()},
        headers=dept.headers,
    )
    assert replay.status_code == 409
    gone = await client.delete(f"{ENDPOINTS}/{endpoint_id}", headers=dept.headers)
    assert gone.status_code == 204
    for path in (f"{ENDPOINTS}/{uuid.uuid4()}", f"{ENDPOINTS}/not-a-uuid"):
        response = await client.get(path, headers=dept.headers)
        assert response.status_code in (404, 422)
        assert response.headers["content-type"] == "application/problem+json"
    member = {"Authorization": f"Bearer {await stack.token(str(uuid.uuid4()))}"}
    assert (await client.get(ENDPOINTS, headers=member)).status_code == 403
    await asyncio.sleep(0)

"""Erasure end to end from identity, photos, delegates, freshness, reports and view audit."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
import pytest
from directory_support import (
    TopicRecorder,
    admin_headers,
    connect,
    draft_member,
    listed_member,
    publish_as_identity,
    tiny_png,
)
from sqlalchemy import text
from support import eventually

from contracts.events.identity import MemberErasedV1
from services.directory.entrypoints.worker import Maintenance


@pytest.fixture
async def client(stack):  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=15) as client:
        yield client


async def _count(stack, sql: str, member_id: str) -> int:  # type: ignore[no-untyped-def]
    async with stack.runtime("directory").engine.connect() as conn:
        return int(await conn.scalar(text(sql), {"m": member_id}))


async def test_erasure_in_identity_removes_everything_the_directory_holds(client, stack) -> None:
    mark = uuid.uuid4().hex[:6]
    leaver = await listed_member(client, stack, f"Erin Erasable{mark}", phone="+44 1 111")
    friend = await listed_member(client, stack, "Fran Friend")
    other = await listed_member(client, stack, "Otto Other")
    await client.put(
        f"{leaver.path}/photo",
        content=tiny_png(),
        headers=leaver.headers | {"content-type": "image/png"},
    )
    await connect(client, friend, leaver)
    await client.post(
        "/api/directory/contact-requests",
        json={"recipient_id": other.member_id, "reason": "About the shared services review."},
        headers=leaver.headers,
    )
    await client.get(other.path, headers=leaver.headers)  # a view by the leaver
    await client.get(leaver.path, headers=other.headers)  # a view of the leaver
    admin = await admin_headers(stack)

    async with TopicRecorder(stack, "directory.profile.v1") as events:
        erased = await client.post(
            f"/api/identity/members/{leaver.member_id}/erasure", headers=admin
        )
        assert erased.status_code == 200, erased.text

        async def gone() -> bool:
            return (await client.get(leaver.path, headers=admin)).status_code == 404

        await eventually(gone)
        removed = await eventually(
            lambda: _now(events.of("directory.profile.removed.v1", leaver.member_id))
        )
        assert removed[0].data["reason"] == "erased"

        # Delivered again (a replay, a second identity instance): nothing new happens.
        await publish_as_identity(
            stack,
            MemberErasedV1(member_id=uuid.UUID(leaver.member_id), erased_at=datetime.now(UTC)),
        )
        marker = await listed_member(client, stack, "After Marker")
        await eventually(
            lambda: _now(events.of("directory.profile.published.v1", marker.member_id))
        )
        assert len(events.of("directory.profile.removed.v1", leaver.member_id)) == 1

    search = await client.get(
        "/api/directory/profiles", params={"q": f"Erasable{mark}"}, headers=friend.headers
    )
    assert search.json()["items"] == []
    assert (await client.get(f"{friend.path}/connections", headers=friend.headers)).json() == []
    outgoing = await client.get(
        "/api/directory/contact-requests", params={"direction": "incoming"}, headers=other.headers
    )
    assert outgoing.json()["items"] == []
    for table, column in (
        ("photos", "member_id"),
        ("contact_requests", "requester_id"),
        ("connections", "other_id"),
        ("profile_views", "viewer_id"),
        ("profile_views", "profile_id"),
        ("profile_activity", "member_id"),
        ("profile_activity", "actor_id"),
    ):
        assert (
            await _count(
                stack, f"SELECT count(*) FROM {table} WHERE {column} = :m", leaver.member_id
            )
            == 0
        ), table
    words = await _count(
        stack, "SELECT count(*) FROM search_words WHERE word = :m", f"erasable{mark}"
    )
    assert words == 0


async def _now(value):  # type: ignore[no-untyped-def]
    return value


async def test_photos_are_checked_by_their_bytes_and_size(client, stack) -> None:
    owner = await draft_member(client, stack, "Phoebe Photo")
    url = f"{owner.path}/photo"
    gif = b"GIF89a" + b"\x00" * 100
    lying = await client.put(
        url, content=gif, headers=owner.headers | {"content-type": "image/png"}
    )
    assert lying.status_code == 415
    svg = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"
    assert (
        await client.put(
            url, content=svg, headers=owner.headers | {"content-type": "image/svg+xml"}
        )
    ).status_code == 415
    limit = stack.runtime("directory").settings.photo_max_bytes
    huge = tiny_png() + b"\x00" * limit
    too_big = await client.put(
        url, content=huge, headers=owner.headers | {"content-type": "image/png"}
    )
    assert too_big.status_code == 413
    assert too_big.headers["content-type"] == "application/problem+json"
    assert (await client.put(url, content=b"", headers=owner.headers)).status_code == 422
    assert (await client.get(url, headers=owner.headers)).status_code == 404

    ok = await client.put(
        url, content=tiny_png(), headers=owner.headers | {"content-type": "image/jpeg"}
    )
    assert ok.status_code == 200
    assert ok.json()["photo_url"] == f"/profiles/{owner.member_id}/photo"
    served = await client.get(url, headers=owner.headers)
    assert served.headers["content-type"] == "image/png"  # what it is, not what was claimed
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.content == tiny_png()
    assert (await client.delete(url, headers=owner.headers)).status_code == 204
    assert (await client.get(url, headers=owner.headers)).status_code == 404


async def test_a_delegate_edits_for_their_principal_and_it_is_recorded(client, stack) -> None:
    chief = await listed_member(client, stack, "Sir Chief Executive")
    office = await draft_member(client, stack, "Polly Privateoffice")
    other = await draft_member(client, stack, "Nosy Parker")
    assert (
        await client.patch(chief.path, json={"job_title": "Nope"}, headers=office.headers)
    ).status_code == 403
    await client.post(
        f"{chief.path}/delegates", json={"delegate_id": office.member_id}, headers=chief.headers
    )
    by_office = await client.patch(
        chief.path, json={"job_title": "Chief Executive, Ofwat"}, headers=office.headers
    )
    assert by_office.status_code == 200
    assert by_office.json()["relation"] == ["delegate", "member"]
    delegates = (await client.get(f"{chief.path}/delegates", headers=chief.headers)).json()
    assert [d["name"] for d in delegates] == ["Polly Privateoffice"]
    # A delegate may not name further delegates.
    assert (
        await client.post(
            f"{chief.path}/delegates", json={"delegate_id": other.member_id}, headers=office.headers
        )
    ).status_code == 403
    activity = (await client.get(f"{chief.path}/activity", headers=chief.headers)).json()["items"]
    latest = activity[0]
    assert (latest["action"], latest["actor_id"], latest["as_delegate"]) == (
        "profile.updated",
        office.member_id,
        True,
    )
    assert latest["details"] == {"fields": ["job_title"]}
    assert (await client.get(f"{chief.path}/activity", headers=other.headers)).status_code == 403
    ended = await client.delete(f"{chief.path}/delegates/{office.member_id}", headers=chief.headers)
    assert ended.status_code == 204
    assert (
        await client.patch(chief.path, json={"job_title": "Again"}, headers=office.headers)
    ).status_code == 403


async def test_stale_profiles_are_flagged_nudged_and_confirmed(client, stack) -> None:
    owner = await listed_member(client, stack, "Stella Stale")
    reader = await draft_member(client, stack, "Rita Reader")
    assert (await client.get(owner.path, headers=reader.headers)).json()["stale"] is False
    async with stack.runtime("directory").engine.begin() as conn:  # thirteen months pass
        await conn.execute(
            text(
                "UPDATE profiles SET confirmed_at = now() - interval '13 months' "
                "WHERE member_id = :m"
            ),
            {"m": owner.member_id},
        )
    assert (await client.get(owner.path, headers=reader.headers)).json()["stale"] is True
    worker = Maintenance(stack.runtime("directory"))
    await worker.run_once()
    await worker.run_once()  # nudges once, not every run
    notices = (await client.get(f"{owner.path}/notices", headers=owner.headers)).json()
    assert [n["kind"] for n in notices] == ["stale"]
    assert (await client.get(f"{owner.path}/notices", headers=reader.headers)).status_code == 403
    confirmed = await client.post(f"{owner.path}/confirm", headers=owner.headers)
    assert confirmed.json()["stale"] is False


async def test_reports_reach_the_owner_and_admins(client, stack) -> None:
    owner = await listed_member(client, stack, "Len Leaver")
    reporter = await draft_member(client, stack, "Rory Reporter")
    admin = await admin_headers(stack)
    made = await client.post(
        f"{owner.path}/reports",
        json={"kind": "leaver", "note": "Moved to the Treasury in March."},
        headers=reporter.headers,
    )
    assert made.status_code == 201, made.text
    assert made.json()["reporter_id"] is None
    bad = await client.post(
        f"{owner.path}/reports", json={"kind": "rude"}, headers=reporter.headers
    )
    assert bad.status_code == 422
    notices = (await client.get(f"{owner.path}/notices", headers=owner.headers)).json()
    assert notices[0]["kind"] == "report.leaver"
    assert "Moved to the Treasury" in notices[0]["message"]
    assert reporter.member_id not in notices[0]["message"]
    listed = (
        await client.get(
            "/api/directory/reports", params={"member_id": owner.member_id}, headers=admin
        )
    ).json()
    assert [(r["kind"], r["reporter_id"]) for r in listed] == [("leaver", reporter.member_id)]
    assert (await client.get("/api/directory/reports", headers=reporter.headers)).status_code == 403
    resolved = await client.post(f"/api/directory/reports/{listed[0]['id']}/resolve", headers=admin)
    assert resolved.json()["status"] == "resolved"


async def test_members_see_who_viewed_them_and_admins_audit_access(client, stack) -> None:
    owner = await listed_member(client, stack, "Vera Viewed")
    looker = await listed_member(client, stack, "Luke Looker")
    admin = await admin_headers(stack)
    await client.get(owner.path, headers=looker.headers)
    await client.get(owner.path, headers=owner.headers)  # own views are not recorded
    await client.get(owner.path, headers=admin)
    viewers = (await client.get(f"{owner.path}/viewers", headers=owner.headers)).json()["items"]
    assert [(v["viewer_name"], v["viewer_is_admin"]) for v in viewers[1:]] == [
        ("Luke Looker", False)
    ]
    assert viewers[0]["viewer_is_admin"] is True
    assert (await client.get(f"{owner.path}/viewers", headers=looker.headers)).status_code == 403
    audit = await client.get(
        "/api/directory/audit/views", params={"viewer_id": looker.member_id}, headers=admin
    )
    assert [v["profile_id"] for v in audit.json()["items"]] == [owner.member_id]
    assert (
        await client.get("/api/directory/audit/views", headers=looker.headers)
    ).status_code == 403
    assert (
        await client.get(f"{owner.path}/viewers", params={"cursor": "x'--"}, headers=owner.headers)
    ).status_code == 400

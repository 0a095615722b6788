"""Weekly digests through the real mail outbox, unsubscribe links, Atom feeds, and erasure."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

from content_support import article, event_item, publish
from sqlalchemy import text
from support import eventually

from contracts.events.identity import MemberActivatedV1, MemberErasedV1


async def activate(emit, stack, member_id) -> str:  # type: ignore[no-untyped-def]
    email = f"leader-{uuid.uuid4().hex[:8]}@example.gov.uk"
    await emit(
        MemberActivatedV1(
            member_id=member_id,
            full_name="Dame Jane Smith",
            email=email,
            organisation="Cabinet Office",
            roles=["member"],
            activated_at=datetime.now(UTC),
        )
    )

    async def known() -> bool:
        async with stack.runtime("content").engine.connect() as conn:
            found = await conn.scalar(
                text("SELECT email FROM members WHERE member_id = :m"), {"m": member_id}
            )
        return found == email

    await eventually(known)
    return email


def week() -> str:
    # A unique week per test keeps runs independent in the shared database.
    return f"{2100 + uuid.uuid4().int % 800}-W{1 + uuid.uuid4().int % 52:02d}"


async def digest_for(stack, email):  # type: ignore[no-untyped-def]
    async def find():  # type: ignore[no-untyped-def]
        return next(
            (
                m
                for m in stack.mailbox.messages()
                if m.to == email and m.template == "content.weekly_digest"
            ),
            None,
        )

    return await eventually(find)


async def test_the_digest_holds_only_unseen_permitted_items_and_honours_unsubscribe(
    client, people, emit, stack
) -> None:
    tag = uuid.uuid4().hex[:6]
    seen = await publish(
        client, people, article(title=f"Already read {tag}", sectors=["transport"])
    )
    fresh = await publish(client, people, article(title=f"Fresh {tag}", sectors=["transport"]))
    hidden = await publish(
        client,
        people,
        article(title=f"Not for you {tag}", audience="sectors", audience_sectors=["treasury"]),
    )
    member_id, member = await people.member()
    email = await activate(emit, stack, member_id)
    await client.put("/me/profile", json={"sector": "transport"}, headers=member)
    await client.get(f"/items/{seen['id']}", headers=member)

    admin = await people.admin()
    the_week = week()
    run = await client.post("/digests/runs", json={"week": the_week}, headers=admin)
    assert run.status_code == 200, run.text
    assert run.json()["queued"] >= 1
    message = await digest_for(stack, email)
    assert fresh["title"] in message.body
    assert "Because you work in transport." in message.body
    assert f"{stack.gateway_url}/content/items/{fresh['id']}\n" in message.body + "\n"  # web page
    assert seen["title"] not in message.body
    assert hidden["title"] not in message.body

    # Running the same week again sends nothing new (one digest per member and week).
    again = await client.post("/digests/runs", json={"week": the_week}, headers=admin)
    assert again.json()["queued"] == 0

    # Next week: what was in this digest is no longer "unseen".
    newer = await publish(client, people, article(title=f"Newer {tag}", sectors=["transport"]))
    next_week = week()
    await client.post("/digests/runs", json={"week": next_week}, headers=admin)

    async def second() -> object:
        return next(
            (m for m in stack.mailbox.messages() if m.to == email and newer["title"] in m.body),
            None,
        )

    second_message = await eventually(second)
    assert fresh["title"] not in second_message.body  # type: ignore[attr-defined]

    # Unsubscribe with the signed link: a GET shows a form, the POST does it.
    link = re.search(r"(http\S+/api/content/digests/unsubscribe\?token=(\S+))", message.body)
    assert link is not None
    token = link.group(2)
    page = await client.get("/digests/unsubscribe", params={"token": token})
    assert page.status_code == 200
    assert "<form" in page.text
    assert (await client.get("/me/digest", headers=member)).json() == {"weekly": True}
    done = await client.post("/digests/unsubscribe", data={"token": token})
    assert done.status_code == 200
    assert (await client.get("/me/digest", headers=member)).json() == {"weekly": False}
    await publish(
        client, people, article(title=f"After unsubscribing {tag}", sectors=["transport"])
    )
    await client.post("/digests/runs", json={"week": week()}, headers=admin)
    async with stack.runtime("content").engine.connect() as conn:
        digests = await conn.scalar(
            text("SELECT count(*) FROM digests WHERE member_id = :m"), {"m": member_id}
        )
    assert digests == 2

    forged = await client.post("/digests/unsubscribe", data={"token": token[:-2] + "xx"})
    assert forged.status_code == 400
    other_purpose = await client.post(
        "/digests/unsubscribe", data={"token": f"{uuid.uuid4().hex}.{token.split('.')[1]}"}
    )
    assert other_purpose.status_code == 400


async def test_only_programme_admins_run_digests_and_weeks_are_checked(client, people) -> None:
    curator = await people.curator()
    assert (await client.post("/digests/runs", json={}, headers=curator)).status_code == 403
    admin = await people.admin()
    for bad in ("2026-W60", "2026-48", "soon"):
        response = await client.post("/digests/runs", json={"week": bad}, headers=admin)
        assert response.status_code == 422, bad


async def test_atom_feed_per_topic_with_a_revocable_token(client, people, topic) -> None:
    tag = uuid.uuid4().hex[:6]
    await publish(
        client,
        people,
        article(title=f"In the topic {tag} & more", topics=[topic], body_markdown="<b>x</b> *y*"),
    )
    await publish(
        client,
        people,
        article(
            title=f"Restricted {tag}", topics=[topic], audience="sectors", audience_sectors=["x"]
        ),
    )
    _, member = await people.member()
    assert (await client.get(f"/topics/{topic}/feed.atom")).status_code == 401
    issued = await client.post("/me/feed-token", headers=member)
    assert issued.status_code == 201
    token = issued.json()["token"]
    feed = await client.get(f"/topics/{topic}/feed.atom", params={"token": token})
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("application/atom+xml")
    import xml.dom.minidom

    document = xml.dom.minidom.parseString(feed.content)
    titles = [e.firstChild.data for e in document.getElementsByTagName("title")]
    assert f"In the topic {tag} & more" in titles
    assert f"Restricted {tag}" not in titles
    assert token not in feed.text

    rotated = (await client.post("/me/feed-token", headers=member)).json()["token"]
    assert (
        await client.get(f"/topics/{topic}/feed.atom", params={"token": token})
    ).status_code == 401
    assert (
        await client.get(f"/topics/{topic}/feed.atom", params={"token": rotated})
    ).status_code == 200
    assert (await client.delete("/me/feed-token", headers=member)).status_code == 204
    assert (
        await client.get(f"/topics/{topic}/feed.atom", params={"token": rotated})
    ).status_code == 401


async def test_erasure_removes_history_follows_rsvps_preferences_and_tokens(
    client, people, emit, stack, topic
) -> None:
    event = await publish(client, people, event_item(capacity=1))
    item = await publish(client, people, article())
    member_id, member = await people.member()
    waiting_id, waiting = await people.member()
    email = await activate(emit, stack, member_id)
    await client.put("/me/profile", json={"sector": "justice"}, headers=member)
    await client.put(f"/me/topics/{topic}", json={"mode": "follow"}, headers=member)
    await client.get(f"/items/{item['id']}", headers=member)
    await client.put(f"/items/{event['id']}/rsvp", headers=member)
    await client.put(f"/items/{event['id']}/rsvp", headers=waiting)
    run = await client.post("/digests/runs", json={"week": week()}, headers=await people.admin())
    assert run.json()["queued"] >= 1
    await client.put("/me/digest", json={"weekly": False}, headers=member)
    token = (await client.post("/me/feed-token", headers=member)).json()["token"]

    async with stack.runtime("content").engine.connect() as conn:
        queued = await conn.scalar(
            text("SELECT count(*) FROM mail_outbox WHERE to_address = :e"), {"e": email}
        )
    assert queued == 1

    await emit(MemberErasedV1(member_id=member_id, erased_at=datetime.now(UTC)))

    async def gone() -> bool:
        async with stack.runtime("content").engine.connect() as conn:
            counts = [
                await conn.scalar(
                    text(f"SELECT count(*) FROM {table} WHERE member_id = :m"), {"m": member_id}
                )
                for table in (
                    "members",
                    "reads",
                    "topic_preferences",
                    "rsvps",
                    "digests",
                    "member_cohorts",
                )
            ]
        return not any(counts)

    await eventually(gone)
    async with stack.runtime("content").engine.connect() as conn:
        mail = await conn.scalar(
            text("SELECT count(*) FROM mail_outbox WHERE to_address = :e"), {"e": email}
        )
    assert mail == 0
    assert (
        await client.get(f"/topics/{topic}/feed.atom", params={"token": token})
    ).status_code == 401
    # Their place went to the next in the queue.
    assert (await client.get(f"/items/{event['id']}/rsvp", headers=waiting)).json()[
        "status"
    ] == "confirmed"
    assert waiting_id != member_id

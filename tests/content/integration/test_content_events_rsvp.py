"""Event RSVPs through the gateway: capacity, waiting list, promotion, concurrency, .ics."""

from __future__ import annotations

import asyncio
import uuid

from content_support import article, event_item, publish
from icalendar import Calendar
from support import eventually


async def test_concurrent_rsvps_never_overbook(client, people, stack) -> None:
    event = await publish(client, people, event_item(capacity=5))
    members = [await people.member() for _ in range(40)]

    async def rsvp(headers):  # type: ignore[no-untyped-def]
        return await client.put(f"/items/{event['id']}/rsvp", headers=headers)

    responses = await asyncio.gather(*(rsvp(headers) for _, headers in members))
    assert all(r.status_code == 200 for r in responses), [
        r.text for r in responses if r.status_code != 200
    ]
    statuses = [r.json()["status"] for r in responses]
    assert statuses.count("confirmed") == 5
    assert statuses.count("waitlisted") == 35
    positions = sorted(
        r.json()["waiting_list_position"] for r in responses if r.json()["status"] == "waitlisted"
    )
    assert positions == list(range(1, 36))
    attendees = (
        await client.get(f"/items/{event['id']}/attendees", headers=await people.curator())
    ).json()
    assert sum(a["status"] == "confirmed" for a in attendees) == 5


async def test_cancelling_promotes_the_first_on_the_waiting_list_and_emails_them(
    client, people, emit, stack
) -> None:
    from datetime import UTC, datetime

    from contracts.events.identity import MemberActivatedV1

    event = await publish(client, people, event_item(capacity=1))
    (first_id, first), (second_id, second), (third_id, third) = [
        await people.member() for _ in range(3)
    ]
    email = f"second-{uuid.uuid4().hex[:8]}@example.gov.uk"
    await emit(
        MemberActivatedV1(
            member_id=second_id,
            full_name="Second Leader",
            email=email,
            organisation="HMRC",
            roles=["member"],
            activated_at=datetime.now(UTC),
        )
    )
    assert (await client.put(f"/items/{event['id']}/rsvp", headers=first)).json()[
        "status"
    ] == "confirmed"
    assert (await client.put(f"/items/{event['id']}/rsvp", headers=second)).json()[
        "waiting_list_position"
    ] == 1
    assert (await client.put(f"/items/{event['id']}/rsvp", headers=third)).json()[
        "waiting_list_position"
    ] == 2
    again = await client.put(f"/items/{event['id']}/rsvp", headers=first)
    assert again.json()["status"] == "confirmed"  # asking twice changes nothing

    async def known() -> bool:
        from sqlalchemy import text

        async with stack.runtime("content").engine.connect() as conn:
            return bool(
                await conn.scalar(
                    text("SELECT email FROM members WHERE member_id = :m"), {"m": second_id}
                )
            )

    await eventually(known)
    assert (await client.delete(f"/items/{event['id']}/rsvp", headers=first)).status_code == 204
    mine = await client.get(f"/items/{event['id']}/rsvp", headers=second)
    assert mine.json()["status"] == "confirmed"
    assert (await client.get(f"/items/{event['id']}/rsvp", headers=third)).json()[
        "waiting_list_position"
    ] == 1
    assert (await client.delete(f"/items/{event['id']}/rsvp", headers=first)).status_code == 404

    async def mailed() -> object:
        return next(
            (
                m
                for m in stack.mailbox.messages()
                if m.to == email and m.template == "content.place_confirmed"
            ),
            None,
        )

    confirmation = await eventually(mailed)
    # The link opens the event's web page, not the JSON API.
    assert f"{stack.gateway_url}/content/items/{event['id']}" in confirmation.body  # type: ignore[attr-defined]
    assert first_id != third_id


async def test_rsvp_on_things_that_are_not_open_events_is_a_problem(client, people) -> None:
    _, member = await people.member()
    art = await publish(client, people, article())
    assert (await client.put(f"/items/{art['id']}/rsvp", headers=member)).status_code == 409
    past = await publish(
        client, people, event_item(starts_at="2020-01-01T09:00:00Z", ends_at="2020-01-01T10:00:00Z")
    )
    closed = await client.put(f"/items/{past['id']}/rsvp", headers=member)
    assert closed.status_code == 409
    assert closed.json()["title"] == "RSVPs closed"
    assert (await client.put(f"/items/{uuid.uuid4()}/rsvp", headers=member)).status_code == 404
    hidden = await publish(
        client, people, event_item(audience="sectors", audience_sectors=["justice"])
    )
    assert (await client.put(f"/items/{hidden['id']}/rsvp", headers=member)).status_code == 404


async def test_an_event_has_a_calendar_file(client, people) -> None:
    event = await publish(
        client,
        people,
        event_item(title="Leaders' breakfast", online_url="https://meet.example.gov.uk/abc"),
    )
    _, member = await people.member()
    response = await client.get(f"/items/{event['id']}/calendar.ics", headers=member)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    (vevent,) = calendar.walk("VEVENT")
    assert str(vevent["summary"]) == "Leaders' breakfast"
    assert vevent["uid"] == f"{event['id']}@convene.service.gov.uk"
    assert vevent.decoded("dtstart").isoformat() == "2030-03-01T08:30:00+00:00"
    assert str(vevent["location"]) == "70 Whitehall, London"
    art = await publish(client, people, article())
    assert (await client.get(f"/items/{art['id']}/calendar.ics", headers=member)).status_code == 409

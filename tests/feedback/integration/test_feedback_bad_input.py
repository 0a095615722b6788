"""Bad input is a 4xx problem+json, never a 500 and never a partial write."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
from feedback_support import (
    campaign_body,
    close_and_wait,
    create_campaign,
    leaders,
    publish_as_identity,
)
from sqlalchemy import text
from support import eventually

from contracts.events.identity import MemberErasedV1


def problem(response: httpx.Response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    if code:
        assert body["type"].endswith(f"/{code}"), body
    return body


async def rows(stack, table: str, campaign_id: str) -> int:  # type: ignore[no-untyped-def]
    async with stack.runtime("feedback").engine.connect() as conn:
        return (
            await conn.execute(
                text(f"SELECT count(*) FROM {table} WHERE campaign_id = :c"),
                {"c": uuid.UUID(campaign_id)},
            )
        ).scalar_one()


async def test_bad_campaigns_are_refused(stack, client, admin) -> None:
    [leader] = await leaders(stack, 1)
    url = "/api/feedback/campaigns"
    problem(await client.post(url, json=campaign_body(), headers=leader.headers), 403)
    now = datetime.now(UTC)
    for bad in (
        {"closes_at": (now - timedelta(days=1)).isoformat()},
        {"opens_at": "2026-01-01T00:00:00"},  # no time zone
        {"audience": "cohort"},
        {"audience": "sectors"},
        {"anonymity": "secret"},
        {"title": "x" * 201},
        {"questions": [{"id": "q", "kind": "single_choice", "prompt": "?", "options": ["a"]}]},
        {"questions": [{"id": "Q!", "kind": "free_text", "prompt": "?"}]},
        {"questions": [{"id": "q", "kind": "rating", "prompt": "?", "scale_min": 5}]},
        {"unexpected": True},
    ):
        problem(await client.post(url, json=campaign_body(**bad), headers=admin), 422)
    past = campaign_body(
        opens_at=(now - timedelta(days=2)).isoformat(),
        closes_at=(now - timedelta(days=1)).isoformat(),
    )
    problem(await client.post(url, json=past, headers=admin), 422, "invalid-campaign")
    problem(await client.get(f"{url}/not-a-uuid", headers=admin), 422)
    problem(await client.get(f"{url}/{uuid.uuid4()}", headers=admin), 404, "campaign-not-found")
    problem(await client.get(url, params={"cursor": "!!"}, headers=admin), 400)
    problem(await client.get(url), 401)


async def test_bad_answers_write_nothing(stack, client, admin) -> None:
    [leader] = await leaders(stack, 1)
    campaign = await create_campaign(client, admin)
    cid = campaign["id"]
    url = f"/api/feedback/campaigns/{cid}/response"
    for answers in (
        {"support": 9},
        {"support": "4"},
        {"support": True},
        {"priority": "bonuses"},
        {"barriers": ["funding", "magic"]},
        {"barriers": "funding"},
        {"anything": "x" * 2001},
        {"anything": 12},
        {"nonsense": 1},
        {"support": 3, "priority": "nope"},  # one good answer does not save the rest
    ):
        body = problem(
            await client.put(url, json={"answers": answers}, headers=leader.headers),
            422,
            "invalid-answers",
        )
        assert body["errors"]
    problem(await client.put(url, content=b"{not json", headers=leader.headers), 422)
    problem(await client.put(url, json={"answers": []}, headers=leader.headers), 422)
    assert await rows(stack, "responses", cid) == 0
    problem(await client.get(url, headers=leader.headers), 404, "no-response")


async def test_bad_statements_and_votes_are_refused(stack, client, admin) -> None:
    [leader, other] = await leaders(stack, 2)
    campaign = await create_campaign(client, admin, statements=["Budgets should be devolved"])
    cid = campaign["id"]
    base = f"/api/feedback/campaigns/{cid}/statements"
    seeded = (await client.get(base, headers=leader.headers)).json()["items"][0]["id"]
    problem(await client.post(base, json={"text": "x" * 281}, headers=leader.headers), 422)
    problem(await client.post(base, json={"text": "  "}, headers=leader.headers), 422)
    problem(
        await client.post(
            base, json={"text": "budgets should be devolved."}, headers=leader.headers
        ),
        409,
        "duplicate-statement",
    )
    pending = await client.post(
        base, json={"text": "Fewer reports, please"}, headers=leader.headers
    )
    assert pending.status_code == 201
    pending_id = pending.json()["id"]
    vote = f"{base}/{seeded}/votes"
    problem(await client.post(vote, json={"vote": "maybe"}, headers=leader.headers), 422)
    problem(
        await client.post(
            f"{base}/{pending_id}/votes", json={"vote": "agree"}, headers=other.headers
        ),
        409,
        "statement-not-approved",
    )
    problem(
        await client.post(
            f"{base}/{uuid.uuid4()}/votes", json={"vote": "agree"}, headers=leader.headers
        ),
        404,
        "statement-not-found",
    )
    assert (
        await client.post(vote, json={"vote": "agree"}, headers=leader.headers)
    ).status_code == 201
    problem(
        await client.post(vote, json={"vote": "disagree"}, headers=leader.headers),
        409,
        "already-voted",
    )
    moderation = f"{base}/{pending_id}/moderation"
    problem(await client.post(moderation, json={"decision": "reject"}, headers=admin), 422)
    problem(
        await client.post(moderation, json={"decision": "approve"}, headers=leader.headers), 403
    )
    rejected = await client.post(
        moderation, json={"decision": "reject", "reason": "Not about this question"}, headers=admin
    )
    assert rejected.json()["rejection_reason"] == "Not about this question"
    await close_and_wait(client, admin, cid)
    problem(
        await client.post(vote, json={"vote": "agree"}, headers=other.headers),
        409,
        "campaign-not-open",
    )
    problem(
        await client.post(base, json={"text": "Too late for this"}, headers=other.headers),
        409,
        "campaign-not-open",
    )
    problem(await client.post(moderation, json={"decision": "approve"}, headers=admin), 409)
    async with stack.runtime("feedback").engine.connect() as conn:
        assert (
            await conn.execute(
                text("SELECT count(*) FROM votes WHERE campaign_id = :c"), {"c": uuid.UUID(cid)}
            )
        ).scalar_one() == 1


async def test_reports_that_break_the_rules_are_refused_whole(stack, client, admin) -> None:
    people = await leaders(stack, 12)
    attributed = await create_campaign(
        client, admin, anonymity="attributed", statements=["Budgets should be devolved"]
    )
    cid = attributed["id"]
    url = f"/api/feedback/campaigns/{cid}/report"
    # Too early: fewer than k people have taken part.
    for person in people[:4]:
        put = await client.put(
            f"/api/feedback/campaigns/{cid}/response",
            json={"answers": {"support": 3}},
            headers=person.headers,
        )
        assert put.status_code == 201, put.text
    body = problem(await client.post(url, headers=admin), 409, "too-few-new-respondents")
    assert "at least 5 new respondents" in body["detail"]
    # A correction of a report that is not final yet.
    problem(
        await client.post(url, json={"reason": "Wording"}, headers=admin),
        409,
        "correction-before-close",
    )
    assert await rows(stack, "reports", cid) == 0
    for person in people[4:]:
        put = await client.put(
            f"/api/feedback/campaigns/{cid}/response",
            json={"answers": {"support": 4}},
            headers=person.headers,
        )
        assert put.status_code == 201, put.text
    final = await close_and_wait(client, admin, cid)
    assert final["version"] == 1
    # Closed: one final report; a plain new version is refused.
    problem(await client.post(url, headers=admin), 409, "report-is-final")
    # Bad corrections: no reason, a statement the report does not show, unknown fields.
    problem(await client.post(url, json={"reason": " "}, headers=admin), 422)
    problem(await client.post(url, json={"reason": "x", "figures": {}}, headers=admin), 422)
    problem(
        await client.post(
            url, json={"reason": "x", "withdraw_statements": [str(uuid.uuid4())]}, headers=admin
        ),
        422,
        "invalid-correction",
    )
    # A correction whose figures would move: an attributed answer erased after the close.
    await publish_as_identity(
        stack,
        MemberErasedV1(member_id=uuid.UUID(people[0].member_id), erased_at=datetime.now(UTC)),
    )

    async def erased() -> bool:
        async with stack.runtime("feedback").engine.connect() as conn:
            return (
                await conn.execute(
                    text("SELECT count(*) FROM responses WHERE member_id = :m"),
                    {"m": uuid.UUID(people[0].member_id)},
                )
            ).scalar_one() == 0

    await eventually(erased, timeout=30)
    body = problem(
        await client.post(url, json={"reason": "Wording"}, headers=admin),
        409,
        "correction-moves-figures",
    )
    assert "wording only" in body["detail"]
    # Nothing partial: still the one final report, as published.
    assert await rows(stack, "reports", cid) == 1
    latest = (await client.get(url, headers=admin)).json()
    assert latest == final

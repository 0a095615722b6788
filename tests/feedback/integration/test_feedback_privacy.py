"""Anonymity, audiences and erasure, checked in feedback's own database and through the gateway."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import UTC, datetime, timedelta

from feedback_support import (
    close_and_wait,
    create_campaign,
    feedback_events,
    leaders,
    publish_as_identity,
)
from sqlalchemy import text
from support import eventually

from contracts.events.feedback import PUBLIC_CAMPAIGN_TOPIC
from contracts.events.identity import MemberDeactivatedV1, MemberErasedV1
from services.feedback.domain.commands import RecordMemberProfile
from services.feedback.domain.model import pseudonym
from services.feedback.handlers import members

TEST_KEY = b"tests-only-7Qm2vX9rLk4pW8sZ3nB6yT1cH5gJ0dFa"


async def every_row(stack) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(table, row as text) for every row of every table in feedback's database."""
    async with stack.runtime("feedback").engine.connect() as conn:
        tables = (
            await conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
        ).scalars()
        rows = []
        for table in list(tables):
            for row in await conn.execute(text(f'SELECT t::text FROM "{table}" t')):
                rows.append((table, row[0]))
    return rows


async def test_an_anonymous_answer_cannot_be_joined_to_its_member_without_the_key(
    stack, client, admin
) -> None:
    [leader, other] = await leaders(stack, 2)
    campaign = await create_campaign(client, admin)
    cid = campaign["id"]
    answers = {"support": 4, "priority": "skills", "anything": "A distinctive sentence 7d1e"}
    first = await client.put(
        f"/api/feedback/campaigns/{cid}/response", json={"answers": answers}, headers=leader.headers
    )
    assert first.status_code == 201, first.text
    changed = await client.put(
        f"/api/feedback/campaigns/{cid}/response",
        json={"answers": {**answers, "support": 5}},
        headers=leader.headers,
    )
    assert changed.status_code == 200
    assert changed.json()["revision"] == 2
    own = await client.get(f"/api/feedback/campaigns/{cid}/response", headers=leader.headers)
    assert own.json()["answers"]["support"] == 5
    # Nobody else sees it: another member has no answer, and there is no route to others'.
    assert (
        await client.get(f"/api/feedback/campaigns/{cid}/response", headers=other.headers)
    ).status_code == 404

    async with stack.runtime("feedback").engine.connect() as conn:
        rows = (
            await conn.execute(
                text("SELECT pseudonym, member_id FROM responses WHERE campaign_id = :c"),
                {"c": uuid.UUID(cid)},
            )
        ).all()
        salt = (
            await conn.execute(
                text("SELECT salt FROM member_salts WHERE member_id = :m"),
                {"m": uuid.UUID(leader.member_id)},
            )
        ).scalar_one()
    assert len(rows) == 1, "an edit replaces the answer; one member, one row"
    stored_pseudonym, member_id = rows[0]
    assert member_id is None
    # Only the key turns the salt into the pseudonym; the database alone cannot.
    assert pseudonym(TEST_KEY, salt, uuid.UUID(cid)) == stored_pseudonym
    assert pseudonym(b"x" * 44, salt, uuid.UUID(cid)) != stored_pseudonym
    unkeyed = hashlib.sha256(salt + uuid.UUID(cid).bytes).hexdigest()
    assert unkeyed != stored_pseudonym
    assert hmac.compare_digest(stored_pseudonym, pseudonym(TEST_KEY, salt, uuid.UUID(cid)))
    # No row anywhere (projections, outbox, inbox included) holds the member id and the
    # pseudonym, nor the member id next to the answer.
    for table, row in await every_row(stack):
        if leader.member_id in row:
            assert stored_pseudonym not in row, table
            assert "7d1e" not in row, table
    # No timestamps on pseudonymous rows: request logs cannot be matched to them either.
    async with stack.runtime("feedback").engine.connect() as conn:
        columns = (
            await conn.execute(
                text(
                    "SELECT table_name, column_name FROM information_schema.columns "
                    "WHERE table_name IN ('responses', 'votes', 'group_placements') "
                    "AND data_type LIKE 'timestamp%'"
                )
            )
        ).all()
    assert columns == []


async def test_audiences_decide_who_sees_and_answers(stack, client, admin) -> None:
    cohort = (uuid.uuid4(), "Cohort 2026")
    [insider, outsider, leaver] = await leaders(
        stack, 3, cohorts=[cohort, (uuid.uuid4(), "Other"), cohort]
    )
    campaign = await create_campaign(client, admin, audience="cohort", cohort_id=str(cohort[0]))
    cid = campaign["id"]

    async def visible_to(headers: dict[str, str]) -> list[str]:
        page = await client.get("/api/feedback/campaigns", headers=headers)
        return [c["id"] for c in page.json()["items"]]

    assert cid in await visible_to(insider.headers)
    assert cid not in await visible_to(outsider.headers)
    hidden = await client.get(f"/api/feedback/campaigns/{cid}", headers=outsider.headers)
    assert hidden.status_code == 404
    refused = await client.put(
        f"/api/feedback/campaigns/{cid}/response",
        json={"answers": {"support": 3}},
        headers=outsider.headers,
    )
    assert refused.status_code == 404
    assert refused.json()["type"].endswith("/campaign-not-found")

    # A deactivated member is no longer in any audience.
    await publish_as_identity(
        stack,
        MemberDeactivatedV1(
            member_id=uuid.UUID(leaver.member_id),
            deactivated_by="admin",
            deactivated_at=datetime.now(UTC),
        ),
    )

    async def leaver_gone() -> bool:
        return cid not in await visible_to(leaver.headers)

    await eventually(leaver_gone)
    ok = await client.put(
        f"/api/feedback/campaigns/{cid}/response",
        json={"answers": {"support": 3}},
        headers=insider.headers,
    )
    assert ok.status_code == 201

    # A sector audience, fed by the handler directory's profile events will call.
    sector_campaign = await create_campaign(client, admin, audience="sectors", sectors=["Policing"])
    assert sector_campaign["id"] not in await visible_to(insider.headers)
    async with stack.runtime("feedback").unit_of_work() as uow:
        await members.record_member_profile(
            RecordMemberProfile(uuid.UUID(insider.member_id), "Policing", "Wales"), uow
        )
        await uow.commit()
    assert sector_campaign["id"] in await visible_to(insider.headers)


async def test_a_scheduled_campaign_opens_and_closes_on_its_own_exactly_once(
    stack, client, admin
) -> None:
    [leader] = await leaders(stack, 1)
    now = datetime.now(UTC)
    campaign = await create_campaign(
        client,
        admin,
        opens_at=(now + timedelta(seconds=2)).isoformat(),
        closes_at=(now + timedelta(seconds=6)).isoformat(),
    )
    cid = campaign["id"]
    assert campaign["status"] == "scheduled"
    assert (
        await client.get(f"/api/feedback/campaigns/{cid}", headers=leader.headers)
    ).status_code == 404

    async def status() -> str:
        return (await client.get(f"/api/feedback/campaigns/{cid}", headers=admin)).json()["status"]

    await eventually(lambda: _is(status, "open"), timeout=20)
    await eventually(lambda: _is(status, "closed"), timeout=30)
    events = await feedback_events(stack, cid, want=3, timeout=8)
    assert [e.type for e in events] == [
        "feedback.campaign.opened.v1",
        "feedback.campaign.closed.v1",
    ]
    shared = await feedback_events(stack, cid, want=4, timeout=8, topic=PUBLIC_CAMPAIGN_TOPIC)
    assert [e.type for e in shared] == [
        "public.feedback.campaign.opened.v1",
        "public.feedback.campaign.closed.v1",
        "feedback.campaign.report_published.v1",
    ]


async def _is(status, wanted: str) -> bool:  # type: ignore[no-untyped-def]
    return await status() == wanted


async def test_erasure_removes_attributed_answers_and_every_link_to_a_pseudonym(
    stack, client, admin
) -> None:
    [leader, stays] = await leaders(stack, 2)
    attributed = await create_campaign(
        client, admin, anonymity="attributed", statements=["Budgets should be devolved"]
    )
    anonymous = await create_campaign(client, admin)
    for campaign in (attributed, anonymous):
        for person in (leader, stays):
            put = await client.put(
                f"/api/feedback/campaigns/{campaign['id']}/response",
                json={"answers": {"support": 2}},
                headers=person.headers,
            )
            assert put.status_code == 201
    assert put.json()["anonymous"] is True
    statement = (
        await client.get(
            f"/api/feedback/campaigns/{attributed['id']}/statements", headers=leader.headers
        )
    ).json()["items"][0]
    voted = await client.post(
        f"/api/feedback/campaigns/{attributed['id']}/statements/{statement['id']}/votes",
        json={"vote": "agree"},
        headers=leader.headers,
    )
    assert voted.status_code == 201
    member = uuid.UUID(leader.member_id)
    async with stack.runtime("feedback").engine.connect() as conn:
        named = (
            await conn.execute(
                text("SELECT count(*) FROM responses WHERE member_id = :m"), {"m": member}
            )
        ).scalar_one()
    assert named == 1, "only the attributed campaign names its respondent"

    await publish_as_identity(stack, MemberErasedV1(member_id=member, erased_at=datetime.now(UTC)))

    async def erased() -> bool:
        async with stack.runtime("feedback").engine.connect() as conn:
            left = (
                await conn.execute(
                    text(
                        "SELECT (SELECT count(*) FROM responses WHERE member_id = :m)"
                        " + (SELECT count(*) FROM member_salts WHERE member_id = :m)"
                        " + (SELECT count(*) FROM members WHERE member_id = :m)"
                    ),
                    {"m": member},
                )
            ).scalar_one()
        return left == 0

    await eventually(erased)
    async with stack.runtime("feedback").engine.connect() as conn:
        votes = (
            await conn.execute(
                text("SELECT count(*) FROM votes WHERE statement_id = :s"),
                {"s": uuid.UUID(statement["id"])},
            )
        ).scalar_one()
        remaining = (
            await conn.execute(
                text("SELECT campaign_id, member_id FROM responses WHERE campaign_id = ANY(:c)"),
                {"c": [uuid.UUID(attributed["id"]), uuid.UUID(anonymous["id"])]},
            )
        ).all()
    assert votes == 0
    # The other member's answers stay; the erased member's anonymous answer stays, unlinkable.
    assert sorted((str(c), m) for c, m in remaining) == sorted(
        [
            (attributed["id"], uuid.UUID(stays.member_id)),
            (anonymous["id"], None),
            (anonymous["id"], None),
        ]
    )
    # Nothing in feedback's database mentions the member any more.
    for table, row in await every_row(stack):
        assert leader.member_id not in row, table
    report = await close_and_wait(client, admin, anonymous["id"])
    assert report["figures"]["responses"] == 2

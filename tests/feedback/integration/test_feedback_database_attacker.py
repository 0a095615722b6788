"""The attacker: an operator with a plain connection to feedback's database and no pseudonym
key, after leaders have answered, voted and added statements through the gateway. Each test
is one of their attacks; it fails if the attack names who answered what better than chance.

The tests alone hold the service key, as the oracle that says whether a guess was right.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from feedback_support import Leader, close_and_wait, create_campaign, leaders
from opentelemetry.trace import SpanKind
from support import eventually

from services.feedback.domain.model import pseudonym

TEST_KEY = b"tests-only-7Qm2vX9rLk4pW8sZ3nB6yT1cH5gJ0dFa"
SEEDS = ["Leaders need more say over budgets", "Regulation is the main barrier"]
#: The tables a participant's writes land in.
WRITTEN = ("responses", "votes", "statements")


@pytest.fixture
async def database(stack):  # type: ignore[no-untyped-def]
    """The operator's own connection: feedback's database URL, nothing of the service's."""
    conn = await asyncpg.connect(stack.infrastructure.database_url("convene_feedback"))
    yield conn
    await conn.close()


@dataclass
class Scene:
    campaign_id: str
    #: The order the leaders took part in, as a log of who was signed in when would show it.
    arrival: list[Leader]
    #: The oracle's answer key: pseudonym -> member id (computed with the service key).
    truth: dict[str, str]


async def _truth(database, campaign_id: str, people: list[Leader]) -> dict[str, str]:  # type: ignore[no-untyped-def]
    salts = dict(
        await database.fetch(
            "SELECT member_id::text, salt FROM member_salts WHERE member_id::text = ANY($1)",
            [p.member_id for p in people],
        )
    )
    cid = uuid.UUID(campaign_id)
    return {
        pseudonym(TEST_KEY, salts[p.member_id], cid): p.member_id
        for p in people
        if p.member_id in salts
    }


async def take_part(stack, client, admin, database) -> Scene:  # type: ignore[no-untyped-def]
    """Six leaders answer, vote on every seed and add a statement each, one after another.

    They arrive in the reverse of their pseudonyms' order where the salts already exist: the
    worst case for a rewrite that puts rows in pseudonym order, so it cannot pass by luck."""
    people = await leaders(stack, 6)
    campaign = await create_campaign(client, admin, statements=SEEDS)
    cid = campaign["id"]
    early = await _truth(database, cid, people)
    rank = {member: name for name, member in early.items()}
    arrival = sorted(people, key=lambda p: rank.get(p.member_id, p.member_id), reverse=True)
    listed = await client.get(f"/api/feedback/campaigns/{cid}/statements", headers=admin)
    seeds = [s["id"] for s in listed.json()["items"]]
    for i, leader in enumerate(arrival):
        answered = await client.put(
            f"/api/feedback/campaigns/{cid}/response",
            json={"answers": {"support": 1 + i % 5, "priority": "pay"}},
            headers=leader.headers,
        )
        assert answered.status_code == 201, answered.text
        for sid in seeds:
            voted = await client.post(
                f"/api/feedback/campaigns/{cid}/statements/{sid}/votes",
                json={"vote": "agree" if i % 2 else "disagree"},
                headers=leader.headers,
            )
            assert voted.status_code == 201, voted.text
        added = await client.post(
            f"/api/feedback/campaigns/{cid}/statements",
            json={"text": f"Statement number {i} from a leader"},
            headers=leader.headers,
        )
        assert added.status_code == 201, added.text
    return Scene(cid, arrival, await _truth(database, cid, people))


async def _xmins(database, table: str, campaign_id: str) -> list[tuple[int, str | None]]:  # type: ignore[no-untyped-def]
    pseudonym_column = "author_pseudonym" if table == "statements" else "pseudonym"
    rows = await database.fetch(
        f"SELECT xmin::text::bigint AS x, {pseudonym_column} AS p FROM {table} "
        "WHERE campaign_id = $1",
        uuid.UUID(campaign_id),
    )
    return [(r["x"], r["p"]) for r in rows]


async def test_no_salt_shares_a_transaction_with_an_answer_vote_or_statement(
    stack, client, admin, database
) -> None:
    scene = await take_part(stack, client, admin, database)
    cid = uuid.UUID(scene.campaign_id)
    # The textbook join: rows written together carry the same transaction id.
    for table in WRITTEN:
        joined = await database.fetch(
            f"SELECT s.member_id FROM member_salts s JOIN {table} r ON r.xmin = s.xmin "
            "WHERE r.campaign_id = $1",
            cid,
        )
        assert joined == [], table
    # Nearly together: guess, for each row, the member whose salt was created last before it.
    salts = await database.fetch(
        "SELECT member_id::text AS m, xmin::text::bigint AS x FROM member_salts ORDER BY x"
    )
    for table in WRITTEN:
        named: set[str] = set()
        for xmin, name in await _xmins(database, table, scene.campaign_id):
            before = [s["m"] for s in salts if s["x"] <= xmin]
            if name is not None and before and scene.truth.get(name) == before[-1]:
                named.add(before[-1])
        # The same guess for every row can be right about one member at most: chance.
        assert len(named) <= 1, table
    # Nothing member-shaped in the writes' transactions: no row of any other table (the member
    # projection, salts, cohorts, outbox, inbox) was written by one of them.
    written = {
        x
        for table in WRITTEN
        for x, name in await _xmins(database, table, scene.campaign_id)
        if name is not None  # the admin's seeds are written with the campaign itself
    }
    tables = [
        r["tablename"]
        for r in await database.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        if r["tablename"] not in WRITTEN
    ]
    for table in tables:
        shared = await database.fetchval(
            f'SELECT count(*) FROM "{table}" WHERE xmin::text::bigint = ANY($1)',
            list(written),
        )
        assert shared == 0, table


async def test_no_serial_number_or_time_of_day_dates_a_participant_row(
    stack, client, admin, database
) -> None:
    scene = await take_part(stack, client, admin, database)
    serial = await database.fetch(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = 'public' AND table_name = ANY($1) "
        "AND (is_identity = 'YES' OR column_default LIKE 'nextval%')",
        [*WRITTEN, "group_placements", "member_salts"],
    )
    assert serial == [], "a serial column numbers rows in the order people wrote them"
    # The one identifier a participant's row has, a statement's id, is random (version 4), not
    # a time-ordered kind (versions 1, 6, 7) that would date it.
    ids = await database.fetch(
        "SELECT id FROM statements WHERE campaign_id = $1", uuid.UUID(scene.campaign_id)
    )
    assert ids
    assert {r["id"].version for r in ids} == {4}
    times = await database.fetch(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = 'public' AND table_name = ANY($1) AND data_type LIKE 'timestamp%'",
        [*WRITTEN, "group_placements"],
    )
    assert [(t["table_name"], t["column_name"]) for t in times] == [("statements", "moderated_at")]
    moderated = await database.fetch(
        "SELECT moderated_at FROM statements WHERE campaign_id = $1 AND moderated_at IS NOT NULL",
        uuid.UUID(scene.campaign_id),
    )
    assert moderated, "the seeds were approved"
    for row in moderated:
        moment = row["moderated_at"]
        assert (moment.hour, moment.minute, moment.second, moment.microsecond) == (0, 0, 0, 0)
    # A commit time per transaction would date every row: PostgreSQL must not be keeping them.
    assert await database.fetchval("SHOW track_commit_timestamp") == "off"
    # The outbox and inbox hold no pseudonym (so no event time can be put beside one).
    names = list(scene.truth)
    for table in ("outbox", "inbox"):
        exists = await database.fetchval(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename = $1", table
        )
        if exists:
            found = await database.fetchval(
                f"SELECT count(*) FROM {table} t WHERE t::text LIKE ANY($1)",
                [f"%{n}%" for n in names],
            )
            assert found == 0, table


async def test_once_closed_neither_row_order_nor_transaction_ids_follow_arrival(
    stack, client, admin, database
) -> None:
    scene = await take_part(stack, client, admin, database)
    cid = uuid.UUID(scene.campaign_id)
    await close_and_wait(client, admin, scene.campaign_id)
    # Every row the participants wrote now carries the closing transaction's id.
    closing = await database.fetchval("SELECT xmin::text::bigint FROM campaigns WHERE id = $1", cid)
    for table in WRITTEN:
        assert {x for x, _ in await _xmins(database, table, scene.campaign_id)} == {closing}, table
    # Line the responses up on disk against the log of who arrived when.
    on_disk = [
        r["pseudonym"]
        for r in await database.fetch(
            "SELECT pseudonym FROM responses WHERE campaign_id = $1 ORDER BY ctid", cid
        )
    ]
    assert len(on_disk) == len(scene.arrival)
    right = sum(
        scene.truth.get(name) == leader.member_id
        for name, leader in zip(on_disk, scene.arrival, strict=True)
    )
    assert right <= 1, f"physical order named {right} of {len(on_disk)} respondents"


async def test_no_span_or_log_record_around_an_answer_carries_the_member_id(
    stack, client, admin, spans, caplog
) -> None:
    [leader] = await leaders(stack, 1)
    campaign = await create_campaign(client, admin, statements=SEEDS)
    cid = campaign["id"]
    listed = await client.get(f"/api/feedback/campaigns/{cid}/statements", headers=admin)
    sid = listed.json()["items"][0]["id"]
    spans.clear()
    caplog.set_level(logging.DEBUG)
    calls = [
        ("PUT", f"/api/feedback/campaigns/{cid}/response", {"answers": {"support": 3}}),
        ("POST", f"/api/feedback/campaigns/{cid}/statements/{sid}/votes", {"vote": "pass"}),
        ("POST", f"/api/feedback/campaigns/{cid}/statements", {"text": "Fewer forms, please"}),
    ]
    for method, path, body in calls:
        sent = await client.request(method, path, json=body, headers=leader.headers)
        assert sent.status_code in (200, 201), sent.text
    recorded = spans.get_finished_spans()
    assert any(cid in str(dict(s.attributes or {})) for s in recorded), "the requests are traced"
    for span in recorded:
        seen = [span.name, *(f"{k}={v}" for k, v in (span.attributes or {}).items())]
        for event in span.events:
            seen += [event.name, *(f"{k}={v}" for k, v in (event.attributes or {}).items())]
        assert all(leader.member_id not in s for s in seen), span.name
    # Nor who was calling in any other form: the server spans of these requests, the gateway's
    # and feedback's, keep the route and status but not the caller's address or user agent.
    served = [
        s
        for s in recorded
        if s.kind == SpanKind.SERVER and cid in str((s.attributes or {}).get("url.path", ""))
    ]
    assert len(served) == 2 * len(calls), "a gateway span and a feedback span for each"
    for span in served:
        attributes = span.attributes or {}
        assert attributes.get("http.response.status_code") in (200, 201)
        for caller in ("client.address", "client.port", "user_agent.original"):
            assert attributes.get(caller) in (None, ""), (span.name, caller)
    for record in caplog.records:
        assert leader.member_id not in record.getMessage(), record.name


async def test_a_member_without_a_salt_gets_one_apart_from_their_answer(
    stack, client, admin, database
) -> None:
    # Members feedback knew before salts came with the projection have none: simulate two.
    early, late = await leaders(stack, 2)
    await database.execute(
        "DELETE FROM member_salts WHERE member_id::text = ANY($1)",
        [early.member_id, late.member_id],
    )
    now = datetime.now(UTC)
    scheduled = await create_campaign(
        client, admin, opens_at=(now + timedelta(seconds=1)).isoformat()
    )
    cid = uuid.UUID(scheduled["id"])

    async def opened() -> bool:
        status = await database.fetchval("SELECT status FROM campaigns WHERE id = $1", cid)
        return status == "open"

    await eventually(opened, timeout=30)
    # The clock salted the audience in its own transaction, the one that opened the campaign.
    opening = await database.fetchval("SELECT xmin FROM campaigns WHERE id = $1", cid)
    salted = await database.fetch(
        "SELECT member_id::text AS m FROM member_salts WHERE xmin = $1", opening
    )
    assert {early.member_id, late.member_id} <= {r["m"] for r in salted}
    # And a member the clock has not salted gets theirs from the route, committed before the
    # answer's transaction: the two never share a transaction id.
    await database.execute("DELETE FROM member_salts WHERE member_id::text = $1", late.member_id)
    answered = await client.put(
        f"/api/feedback/campaigns/{cid}/response",
        json={"answers": {"support": 2}},
        headers=late.headers,
    )
    assert answered.status_code == 201, answered.text
    joined = await database.fetch(
        "SELECT s.member_id FROM member_salts s JOIN responses r ON r.xmin = s.xmin "
        "WHERE r.campaign_id = $1",
        cid,
    )
    assert joined == []

"""Attacks on the reports, run as the attacker would, through the gateway and the broker.

The attackers: a programme admin with a token (publishes versions, moves people between
cohorts through identity's events, erases them, builds cohorts of accounts they control) and a
department reading the public report events. Each attack subtracts one published version from
another, or reads a small cohort's cell, to recover one person's rating; each test fails if it
learns anything.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime
from itertools import combinations
from typing import Any

import httpx
import pytest
from feedback_support import (
    close_and_wait,
    create_campaign,
    feedback_events,
    leaders,
    pdf_text,
    publish_as_identity,
)
from sqlalchemy import text
from support import eventually

from contracts.events.feedback import PUBLIC_CAMPAIGN_TOPIC
from contracts.events.identity import MemberErasedV1, MemberLeftCohortV1

K = 5


@pytest.fixture
async def client(stack):  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=60) as client:
        yield client


def rating_cells(report: dict) -> dict[tuple[str, str], tuple[int, float]]:
    """Every published (people, mean rating) of the `support` question: overall and per cell."""
    cells: dict[tuple[str, str], tuple[int, float]] = {}
    for q in report["questions"]:
        if q["question_id"] == "support" and not q["withheld"] and q["mean"] is not None:
            cells[("all", "all")] = (q["answered"], q["mean"])
    for table in report["breakdowns"]:
        if table["question_id"] == "support":
            for cell in table["cells"]:
                cells[(table["dimension"], cell["value"])] = (cell["respondents"], cell["mean"])
    return cells


def differences(versions: list[dict]) -> list[tuple[Any, float]]:
    """The attack: for any two versions, a cell whose size moved by 1..k-1 gives away the sum
    of those few people's ratings (n2 * m2 - n1 * m1)."""
    learned = []
    for first, second in combinations(versions, 2):
        a, b = rating_cells(first), rating_cells(second)
        for key in a.keys() & b.keys():
            (n1, m1), (n2, m2) = a[key], b[key]
            if 0 < abs(n1 - n2) < K:
                learned.append((key, round(n1 * m1 - n2 * m2, 1)))
    return learned


async def answer(client, person, cid: str, answers: dict) -> None:  # type: ignore[no-untyped-def]
    put = await client.put(
        f"/api/feedback/campaigns/{cid}/response", json={"answers": answers}, headers=person.headers
    )
    assert put.status_code == 201, put.text


async def republish(client, admin, cid: str) -> list[httpx.Response]:  # type: ignore[no-untyped-def]
    """What an admin tries after the close: a plain new version, then a "correction" (any
    reason will do). The answers, whatever they are."""
    url = f"/api/feedback/campaigns/{cid}/report"
    return [
        await client.post(url, headers=admin),
        await client.post(url, json={"reason": "Typo in the title"}, headers=admin),
    ]


def obtained(answers: list[httpx.Response]) -> list[dict]:
    return [a.json() for a in answers if a.status_code == 201]


def refused_or_corrections(answers: list[httpx.Response]) -> None:
    """After the close: a plain version is refused naming the rule; a correction says so."""
    plain, correction = answers
    assert plain.status_code == 409, plain.text
    assert plain.json()["type"].endswith("/report-is-final")
    assert correction.status_code == 201, correction.text
    assert correction.json()["correction"] == {"of_version": 1, "reason": "Typo in the title"}


async def cohort_campaign(stack, client, admin, target_rating: int):  # type: ignore[no-untyped-def]
    """Cohort C of twelve respondents (2k or more at close) among eighteen; the target is C's
    first member; an anonymous campaign for everyone, closed, with its final report."""
    cohort = (uuid.uuid4(), f"Cohort {uuid.uuid4().hex[:6]}")
    in_c = await leaders(stack, 12, cohorts=[cohort] * 12)
    others = await leaders(stack, 6)
    campaign = await create_campaign(client, admin)
    cid = campaign["id"]
    for i, person in enumerate(in_c):
        await answer(client, person, cid, {"support": target_rating if i == 0 else 2 + i % 2})
    for i, person in enumerate(others):
        await answer(client, person, cid, {"support": 1 + i % 5})
    final = await close_and_wait(client, admin, cid)
    assert rating_cells(final)[("cohort", cohort[1])][0] == 12
    return cohort, in_c[0], cid, final


async def test_an_admin_moving_the_target_out_of_a_cohort_learns_nothing(
    stack, client, admin
) -> None:
    cohort, target, cid, final = await cohort_campaign(stack, client, admin, target_rating=5)
    # The attack: take the target out of C (identity's roster), then publish again.
    await publish_as_identity(
        stack, MemberLeftCohortV1(member_id=uuid.UUID(target.member_id), cohort_id=cohort[0])
    )

    async def left() -> bool:
        async with stack.runtime("feedback").engine.connect() as conn:
            n = await conn.scalar(
                text("SELECT count(*) FROM member_cohorts WHERE member_id = :m"),
                {"m": uuid.UUID(target.member_id)},
            )
        return n == 0

    await eventually(left, timeout=30)
    answers = await republish(client, admin, cid)
    latest = (await client.get(f"/api/feedback/campaigns/{cid}/report", headers=admin)).json()
    versions = [final, *obtained(answers), latest]
    assert differences(versions) == []
    assert all(rating_cells(v) == rating_cells(final) for v in versions)
    refused_or_corrections(answers)


async def test_an_admin_erasing_the_target_learns_nothing(stack, client, admin) -> None:
    _, target, cid, final = await cohort_campaign(stack, client, admin, target_rating=1)
    await publish_as_identity(
        stack, MemberErasedV1(member_id=uuid.UUID(target.member_id), erased_at=datetime.now(UTC))
    )

    async def erased() -> bool:
        async with stack.runtime("feedback").engine.connect() as conn:
            n = await conn.scalar(
                text("SELECT count(*) FROM member_salts WHERE member_id = :m"),
                {"m": uuid.UUID(target.member_id)},
            )
        return n == 0

    await eventually(erased, timeout=30)
    answers = await republish(client, admin, cid)
    versions = [final, *obtained(answers)]
    assert differences(versions) == []
    assert all(rating_cells(v) == rating_cells(final) for v in versions)
    refused_or_corrections(answers)


async def interim_scenario(stack, client, admin) -> tuple[str, list[dict], list[httpx.Response]]:  # type: ignore[no-untyped-def]
    """An admin publishing interim reports around each new response, then the close; the
    target answers last. Returns the campaign, every version the admin obtained, and the
    answers to the publications after one new response (to check how they were refused)."""
    people = await leaders(stack, 11)
    *first, target = people
    campaign = await create_campaign(client, admin)
    cid = campaign["id"]
    url = f"/api/feedback/campaigns/{cid}/report"
    got: list[dict] = []
    for i, person in enumerate(first[:5]):
        await answer(client, person, cid, {"support": 2 + i % 2, "barriers": ["rules"]})
    tries = []
    v1 = await client.post(url, headers=admin)
    assert v1.status_code == 201, v1.text
    got.append(v1.json())
    # One more response, then publish again (the attack: subtract v1 from it).
    await answer(client, first[5], cid, {"support": 4, "barriers": ["time"]})
    tries.append(await client.post(url, headers=admin))
    got += obtained(tries[-1:])
    # k new since the last version: publish again.
    for person in first[6:]:
        await answer(client, person, cid, {"support": 3})
    v = await client.post(url, headers=admin)
    assert v.status_code == 201, v.text
    got.append(v.json())
    # The target answers; the campaign closes: one new person since the last version.
    await answer(client, target, cid, {"support": 5, "barriers": ["funding"]})
    closing = await client.post(f"/api/feedback/campaigns/{cid}/close", headers=admin)
    assert closing.status_code == 202, closing.text

    async def final() -> dict | None:
        report = (await client.get(url, headers=admin)).json()
        return report if report["final"] else None

    got.append(await eventually(final, timeout=30))
    return cid, got, tries


async def test_interim_reports_cannot_be_subtracted_by_the_admin(stack, client, admin) -> None:
    cid, versions, tries = await interim_scenario(stack, client, admin)
    assert differences(versions) == []
    # One new response: refused, naming the rule, and nothing published.
    [again] = tries
    assert again.status_code == 409, again.text
    assert again.headers["content-type"].startswith("application/problem+json")
    assert again.json()["type"].endswith("/too-few-new-respondents")
    assert [v["version"] for v in versions] == [1, 2, 3]
    # With k new: published, but `barriers` moved by 2 people only, so it is hidden.
    barriers = next(q for q in versions[1]["questions"] if q["question_id"] == "barriers")
    assert barriers["withheld"] is True
    assert barriers["distribution"] is None
    final = versions[-1]
    support = next(q for q in final["questions"] if q["question_id"] == "support")
    assert support["withheld"] is True, "the final moved by one person from v2"
    # The files are built from the same document: nothing there either.
    csv_text = (await client.get(f"/api/feedback/campaigns/{cid}/report.csv", headers=admin)).text
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    assert not [r for r in rows if r["item"] == "support" and r["measure"] == "mean"]
    pdf = await client.get(f"/api/feedback/campaigns/{cid}/report.pdf", headers=admin)
    assert "Average rating" not in pdf_text(pdf.content)


async def test_a_department_reading_report_events_cannot_subtract_them(
    stack, client, admin
) -> None:
    cid, _, _ = await interim_scenario(stack, client, admin)
    events = await feedback_events(stack, cid, want=5, topic=PUBLIC_CAMPAIGN_TOPIC)
    reports = [e.data for e in events if e.type == "feedback.campaign.report_published.v1"]
    assert differences(reports) == []
    assert [r["version"] for r in reports] == [1, 2, 3]
    # No cell hidden in one version is shown in a later one.
    for earlier, later in combinations(reports, 2):
        for q_before, q_after in zip(earlier["questions"], later["questions"], strict=True):
            if q_before["withheld"]:
                assert q_after["withheld"], q_after


async def test_a_stuffed_cohort_of_five_teaches_the_admin_nothing(stack, client, admin) -> None:
    stuffed = (uuid.uuid4(), f"Stuffed {uuid.uuid4().hex[:6]}")
    # The target and four accounts the admin controls, alone in a cohort the admin made.
    target, *controlled = await leaders(stack, 5, cohorts=[stuffed] * 5)
    honest = await leaders(stack, 6)
    campaign = await create_campaign(client, admin)
    cid = campaign["id"]
    await answer(client, target, cid, {"support": 5})
    for person in controlled:
        await answer(client, person, cid, {"support": 1})
    for i, person in enumerate(honest):
        await answer(client, person, cid, {"support": 1 + i % 4})
    final = await close_and_wait(client, admin, cid)
    # The attack: read the stuffed cohort's cell and subtract the four known answers.
    learned = [
        round(n * mean - 4 * 1, 1)
        for (dimension, value), (n, mean) in rating_cells(final).items()
        if dimension == "cohort" and value == stuffed[1]
    ]
    assert learned == []
    base = f"/api/feedback/campaigns/{cid}"
    bodies = [
        (await client.get(f"{base}/report.html", headers=admin)).text,
        (await client.get(f"{base}/report.csv", headers=admin)).text,
        pdf_text((await client.get(f"{base}/report.pdf", headers=admin)).content),
        str(final),
    ]
    events = await feedback_events(stack, cid, want=4, topic=PUBLIC_CAMPAIGN_TOPIC)
    bodies += [str(e.data) for e in events]
    for body in bodies:
        assert stuffed[1] not in body


async def test_a_small_audience_gets_headline_figures_only(stack, client, admin) -> None:
    small = (uuid.uuid4(), f"Small {uuid.uuid4().hex[:6]}")
    people = await leaders(stack, 9, cohorts=[small] * 9)
    campaign = await create_campaign(client, admin, audience="cohort", cohort_id=str(small[0]))
    cid = campaign["id"]
    for i, person in enumerate(people):
        await answer(client, person, cid, {"support": 1 + i % 5, "priority": "pay"})
    final = await close_and_wait(client, admin, cid)
    assert final["figures"]["respondents"] == 9
    assert final["breakdowns"] == []
    assert next(q for q in final["questions"] if q["question_id"] == "support")["mean"] == 2.78
    # The admin was told when creating it (and is told on every read).
    for shown in (
        campaign,
        (await client.get(f"/api/feedback/campaigns/{cid}", headers=admin)).json(),
    ):
        rules = shown["reporting"]
        assert (rules["k"], rules["minimum_audience"], rules["minimum_cohort"]) == (5, 10, 10)
        assert "at least 10 members are in the audience" in rules["summary"]

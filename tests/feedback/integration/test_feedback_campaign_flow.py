"""End to end through the gateway: a campaign, twelve leaders answering and voting, the close,
and the report matching the hand-built vote matrix, with no small cell anywhere."""

from __future__ import annotations

import csv
import io
import uuid

import httpx
import pytest
from feedback_support import (
    close_and_wait,
    create_campaign,
    feedback_events,
    leaders,
    pdf_text,
)
from sqlalchemy import text

from contracts.events.feedback import PUBLIC_CAMPAIGN_TOPIC

A, D, P = "agree", "disagree", "pass"
SEEDS = [
    "Leaders need more say over budgets",  # everyone agrees
    "Central targets help us deliver",  # everyone disagrees
    "Pay should come before skills",  # the two camps split on the rest
    "Regulation is the main barrier",
    "More shared services would help",
]
CAMP_X = [A, D, A, D, A]
CAMP_Y = [A, D, D, A, D]
COHORTS = [
    (uuid.uuid4(), "Cohort 2025"),
    (uuid.uuid4(), "Cohort 2026"),
    (uuid.uuid4(), "Cohort 2027"),
]
# Six respondents in 2025, four in 2026, two in 2027: 2026 and 2027 must never be shown on
# their own. Four more members of 2025 who do not answer make it a cohort of ten (2k) at the
# close, large enough to be a breakdown value; 2026 and 2027 are too small to be one at all.
MEMBER_COHORTS = [COHORTS[0]] * 6 + [COHORTS[1]] * 4 + [COHORTS[2]] * 2
SILENT_COHORTS = [COHORTS[0]] * 4


@pytest.fixture
async def client(stack):  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=60) as client:
        yield client


def answers_for(i: int) -> dict:
    return {
        "support": 2 + i % 3,
        "priority": ["pay", "skills", "housing"][i % 3],
        "barriers": ["funding", "time"] if i % 2 else ["rules"],
        "anything": (
            f"Housing costs stop us recruiting, colleague {i}"
            if i < 7
            else f"Digital skills are scarce in region {i}"
        ),
    }


async def test_twelve_leaders_respond_and_vote_and_the_report_matches_the_matrix(
    stack, client, admin
) -> None:
    people = (await leaders(stack, 16, cohorts=MEMBER_COHORTS + SILENT_COHORTS))[:12]
    campaign = await create_campaign(client, admin, statements=SEEDS)
    assert campaign["status"] == "open"
    cid = campaign["id"]

    for i, leader in enumerate(people):
        put = await client.put(
            f"/api/feedback/campaigns/{cid}/response",
            json={"answers": answers_for(i)},
            headers=leader.headers,
        )
        assert put.status_code == 201, put.text
        assert put.json()["anonymous"] is True

    listed = await client.get(
        f"/api/feedback/campaigns/{cid}/statements", headers=people[0].headers
    )
    assert listed.status_code == 200
    statements = {s["text"]: s["id"] for s in listed.json()["items"]}
    # Every seed, in an order that is the same for everyone and every time, but is not the
    # order of submission (which would line statements up with request logs).
    assert sorted(statements) == sorted(SEEDS)
    again = await client.get(f"/api/feedback/campaigns/{cid}/statements", headers=people[5].headers)
    assert [s["id"] for s in again.json()["items"]] == list(statements.values())
    for i, leader in enumerate(people):
        row = CAMP_X if i < 6 else CAMP_Y
        for text_, vote in zip(SEEDS, row, strict=True):
            cast = await client.post(
                f"/api/feedback/campaigns/{cid}/statements/{statements[text_]}/votes",
                json={"vote": vote},
                headers=leader.headers,
            )
            assert cast.status_code == 201, cast.text

    # A member's statement waits for moderation and takes no votes until approved.
    added = await client.post(
        f"/api/feedback/campaigns/{cid}/statements",
        json={"text": "We should meet the PM twice a year"},
        headers=people[3].headers,
    )
    assert added.status_code == 201, added.text
    assert added.json()["status"] == "pending"
    refused = await client.post(
        f"/api/feedback/campaigns/{cid}/statements/{added.json()['id']}/votes",
        json={"vote": "agree"},
        headers=people[4].headers,
    )
    assert refused.status_code == 409
    assert refused.json()["title"] == "Statement not approved"
    queue = await client.get(
        f"/api/feedback/campaigns/{cid}/statements", params={"status": "pending"}, headers=admin
    )
    assert [s["text"] for s in queue.json()["items"]] == ["We should meet the PM twice a year"]
    approved = await client.post(
        f"/api/feedback/campaigns/{cid}/statements/{added.json()['id']}/moderation",
        json={"decision": "approve"},
        headers=admin,
    )
    assert approved.json()["status"] == "approved"

    report = await close_and_wait(client, admin, cid)
    closed = await client.get(f"/api/feedback/campaigns/{cid}", headers=people[0].headers)
    assert closed.json()["status"] == "closed"
    again = await client.post(f"/api/feedback/campaigns/{cid}/close", headers=admin)
    assert again.status_code == 409
    assert report["final"] is True
    assert report["figures"] == {
        "respondents": 12,
        "responses": 12,
        "voters": 12,
        "statements": 6,
        "votes": 60,
    }
    assert sorted((s["text"], s["direction"]) for s in report["consensus"]) == [
        (SEEDS[1], "disagree"),
        (SEEDS[0], "agree"),
    ]
    assert sorted(s["text"] for s in report["divisive"]) == sorted(SEEDS[2:])
    assert [(g["label"], g["size"]) for g in report["groups"]] == [("A", 6), ("B", 6)]
    anything = next(q for q in report["questions"] if q["question_id"] == "anything")
    assert {"phrase": "housing costs", "responses": 7} in anything["themes"]
    support = next(q for q in report["questions"] if q["question_id"] == "support")
    assert support["mean"] == round(sum(2 + i % 3 for i in range(12)) / 12, 2)

    # Each respondent sees their own group, and only theirs: the two camps of the matrix.
    labels = []
    for leader in people:
        mine = await client.get(f"/api/feedback/campaigns/{cid}/my-group", headers=leader.headers)
        assert mine.status_code == 200, mine.text
        assert mine.json()["size"] == 6
        assert set(mine.json()) == {
            "campaign_id",
            "label",
            "size",
            "distinctive",
            "report_version",
        }
        labels.append(mine.json()["label"])
    assert len(set(labels[:6])) == 1
    assert len(set(labels[6:])) == 1
    assert labels[0] != labels[6]

    # k-anonymity in every form: the API, the HTML, the CSV, the PDF and the event.
    by_cohort = [b for b in report["breakdowns"] if b["dimension"] == "cohort"]
    assert by_cohort, report["breakdowns"]
    for table in by_cohort:
        assert all(cell["respondents"] >= 5 for cell in table["cells"])
        assert {c["value"] for c in table["cells"]} <= {"Cohort 2025", "Not known"}
    participation = next(b for b in by_cohort if b["question_id"] is None)
    # The small cohorts' six respondents are in no cohort for the report.
    assert participation["cells"] == [
        {"value": "Cohort 2025", "respondents": 6, "mean": None, "shares": None},
        {"value": "Not known", "respondents": 6, "mean": None, "shares": None},
    ]

    html = await client.get(f"/api/feedback/campaigns/{cid}/report.html", headers=people[1].headers)
    assert html.status_code == 200
    assert html.headers["content-type"].startswith("text/html")
    assert '<html lang="en">' in html.text
    assert "<caption>" in html.text
    csv_file = await client.get(f"/api/feedback/campaigns/{cid}/report.csv", headers=admin)
    assert csv_file.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(csv_file.text)))
    for row in rows:
        if row["section"] == "breakdown" and row["measure"] == "people":
            assert int(row["value"]) >= 5
    pdf = await client.get(f"/api/feedback/campaigns/{cid}/report.pdf", headers=admin)
    assert pdf.content.startswith(b"%PDF")
    shown_pdf = pdf_text(pdf.content)
    assert "Cohort 2025: 6 people" in shown_pdf
    events = await feedback_events(stack, cid, want=2)
    assert [e.type for e in events] == [
        "feedback.campaign.opened.v1",
        "feedback.campaign.closed.v1",
    ]
    assert events[1].data["respondents"] == 12
    shared = await feedback_events(stack, cid, want=3, topic=PUBLIC_CAMPAIGN_TOPIC)
    assert [e.type for e in shared] == [
        "public.feedback.campaign.opened.v1",
        "public.feedback.campaign.closed.v1",
        "feedback.campaign.report_published.v1",
    ]
    opened = shared[0].data
    assert opened["title"] == report["title"]
    assert opened["audience"] == "all"
    assert shared[1].data["respondents"] == 12
    published = shared[2].data
    for body in (html.text, csv_file.text, shown_pdf, str(published)):
        assert "Cohort 2026" not in body
        assert "Cohort 2027" not in body
    assert published["consensus"] == report["consensus"]
    for table in published["breakdowns"]:
        assert all(cell["respondents"] >= 5 for cell in table["cells"])
    for leader in people:
        assert leader.member_id not in str(published)

    # Nobody can answer or vote after the close.
    late = await client.put(
        f"/api/feedback/campaigns/{cid}/response",
        json={"answers": answers_for(0)},
        headers=people[0].headers,
    )
    assert late.status_code == 409
    assert late.json()["type"].endswith("/campaign-not-open")
    async with stack.runtime("feedback").engine.connect() as conn:
        assert (
            await conn.execute(
                text("SELECT count(*) FROM group_placements WHERE campaign_id = :c"),
                {"c": uuid.UUID(cid)},
            )
        ).scalar_one() == 12


async def test_follow_ups_close_the_loop_for_the_audience(stack, client, admin) -> None:
    people = await leaders(stack, 1)
    campaign = await create_campaign(client, admin, statements=SEEDS[:1])
    cid = campaign["id"]
    early = await client.post(
        f"/api/feedback/campaigns/{cid}/follow-ups",
        json={"you_said": "x", "we_did": "y"},
        headers=admin,
    )
    assert early.status_code == 404
    assert early.json()["type"].endswith("/no-report")
    await close_and_wait(client, admin, cid)
    posted = await client.post(
        f"/api/feedback/campaigns/{cid}/follow-ups",
        json={
            "you_said": "Leaders want more say over budgets.",
            "we_did": "The Treasury will pilot devolved budgets with ten organisations.",
        },
        headers=admin,
    )
    assert posted.status_code == 201, posted.text
    seen = await client.get(f"/api/feedback/campaigns/{cid}/follow-ups", headers=people[0].headers)
    assert [f["we_did"] for f in seen.json()] == [
        "The Treasury will pilot devolved budgets with ten organisations."
    ]
    events = await feedback_events(stack, cid, want=4, topic=PUBLIC_CAMPAIGN_TOPIC)
    assert events[-1].type == "feedback.campaign.follow_up_posted.v1"
    assert events[-1].data["follow_up_id"] == posted.json()["id"]
    # Too few took part to place anyone in a group: nobody is told a group.
    none = await client.get(f"/api/feedback/campaigns/{cid}/my-group", headers=people[0].headers)
    assert none.status_code == 404


async def test_a_correction_withdraws_a_statement_and_keeps_every_figure(
    stack, client, admin
) -> None:
    people = await leaders(stack, 6)
    campaign = await create_campaign(client, admin, statements=SEEDS[:2])
    cid = campaign["id"]
    listed = await client.get(
        f"/api/feedback/campaigns/{cid}/statements", headers=people[0].headers
    )
    ids = {s["text"]: s["id"] for s in listed.json()["items"]}
    for leader in people:
        for text_, vote in zip(SEEDS[:2], (A, D), strict=True):
            cast = await client.post(
                f"/api/feedback/campaigns/{cid}/statements/{ids[text_]}/votes",
                json={"vote": vote},
                headers=leader.headers,
            )
            assert cast.status_code == 201, cast.text
    final = await close_and_wait(client, admin, cid)
    assert {s["text"] for s in final["consensus"]} == set(SEEDS[:2])
    corrected = await client.post(
        f"/api/feedback/campaigns/{cid}/report",
        json={
            "reason": "A statement was approved by mistake",
            "withdraw_statements": [ids[SEEDS[0]]],
        },
        headers=admin,
    )
    assert corrected.status_code == 201, corrected.text
    doc = corrected.json()
    assert doc["version"] == final["version"] + 1
    assert doc["final"] is True
    assert doc["correction"] == {
        "of_version": final["version"],
        "reason": "A statement was approved by mistake",
    }
    assert SEEDS[0] not in str(doc)
    withdrawn = next(s for s in doc["consensus"] if s["statement_id"] == ids[SEEDS[0]])
    assert withdrawn["text"] == "Statement withdrawn by moderation"
    # Only wording moved: every figure is the final report's.
    assert doc["figures"] == final["figures"]
    assert [(s["votes"], s["agree_rate"]) for s in doc["consensus"]] == [
        (s["votes"], s["agree_rate"]) for s in final["consensus"]
    ]
    # Every form says it is a correction, and shows the withdrawn text nowhere.
    base = f"/api/feedback/campaigns/{cid}"
    html = (await client.get(f"{base}/report.html", headers=people[0].headers)).text
    csv_text = (await client.get(f"{base}/report.csv", headers=admin)).text
    pdf = pdf_text((await client.get(f"{base}/report.pdf", headers=admin)).content)
    for body in (html, csv_text, pdf):
        assert "Correction of version" in body or "correction," in body
        assert SEEDS[0] not in body

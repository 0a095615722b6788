"""Feedback and content pages in a real browser, with and without JavaScript, every page
checked by axe-core: a member answers a campaign, adds a statement and votes on others', then
opens their feed, an event, books a place and downloads the event's calendar file; a
programme admin (who is also a curator) runs a campaign and takes an item through review.

Set-up that is not the journey under test (a campaign, a published event) goes through the
JSON API, as the people who own it would."""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
from support import unique, unique_email
from web_browser import Browser, link_in_mailbox_sync

# Members made real by identity's events, as the feedback tests make them.
sys.path.insert(0, str(Path(__file__).parents[1] / "feedback" / "integration"))
from feedback_support import close_and_wait, leaders


async def _api(stack, method: str, path: str, token: str, json: Any = None) -> httpx.Response:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=10) as client:
        return await client.request(
            method, path, json=json, headers={"Authorization": f"Bearer {token}"}
        )


async def _member_invited(stack, email: str) -> None:  # type: ignore[no-untyped-def]
    created = await _api(
        stack,
        "POST",
        "/api/identity/invitations",
        await stack.admin_token(),
        {"full_name": "Grace Hopkins", "email": email, "organisation": "HM Treasury"},
    )
    assert created.status_code == 201, created.text


async def _campaign(stack, title: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    created = await _api(
        stack,
        "POST",
        "/api/feedback/campaigns",
        await stack.admin_token(),
        {
            "title": title,
            "question": "What would most help you lead your organisation this year?",
            "opens_at": (now - timedelta(minutes=1)).isoformat(),
            "closes_at": (now + timedelta(days=7)).isoformat(),
            "questions": [
                {
                    "id": "support",
                    "kind": "rating",
                    "prompt": "How supported do you feel?",
                    "required": True,
                },
                {
                    "id": "priority",
                    "kind": "single_choice",
                    "prompt": "What should come first?",
                    "options": ["Pay", "Skills"],
                    "required": True,
                },
                {
                    "id": "barriers",
                    "kind": "multiple_choice",
                    "prompt": "What gets in the way?",
                    "options": ["Funding", "Rules", "Time"],
                },
                {"id": "anything", "kind": "free_text", "prompt": "Anything else?"},
            ],
            "statements": [
                "Leaders need more say over budgets",
                "Spending reviews should cover three years",
            ],
        },
    )
    assert created.status_code == 201, created.text
    campaign: dict[str, Any] = created.json()
    return campaign


async def _published_event(stack, title: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    author = await stack.token(unique("curator"), ("member", "curator"))
    reviewer = await stack.token(unique("curator"), ("member", "curator"))
    starts = datetime.now(UTC) + timedelta(days=10)
    created = await _api(
        stack,
        "POST",
        "/api/content/items",
        author,
        {
            "kind": "event",
            "title": title,
            "summary": "An off-the-record briefing on the spending review.",
            "body_markdown": "Bring **questions**.",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=1)).isoformat(),
            "place": "Manchester Town Hall",
            "capacity": 40,
        },
    )
    assert created.status_code == 201, created.text
    item: dict[str, Any] = created.json()
    for step, token in (("submit", author), ("approve", reviewer), ("publish", author)):
        moved = await _api(stack, "POST", f"/api/content/items/{item['id']}/{step}", token)
        assert moved.status_code == 200, moved.text
    return item


def _choose(browser: Browser, field_id: str) -> None:
    """Select a radio or checkbox by its label, as a person would."""
    browser.driver.find_element(By.CSS_SELECTOR, f"label[for='{field_id}']").click()


def _cookies(browser: Browser) -> dict[str, str]:
    return {c["name"]: c["value"] for c in browser.driver.get_cookies()}


def _csrf_token(client: httpx.Client, path: str) -> str:
    page = client.get(path, headers={"accept": "text/html"})
    assert page.status_code == 200, page.text[:500]
    marker = 'name="csrf_token" value="'
    start = page.text.index(marker) + len(marker)
    return page.text[start : page.text.index('"', start)]


def _sign_in(browser: Browser, stack, email: str) -> None:  # type: ignore[no-untyped-def]
    browser.visit(link_in_mailbox_sync(stack.mailbox, email, "identity.invitation"))
    browser.press("Sign in to Convene")
    # A new member may land on "Complete your profile" (once the directory has their draft).
    assert browser.heading in {"Welcome, Grace Hopkins", "Complete your profile"}
    browser.visit("/")
    assert browser.heading == "Welcome, Grace Hopkins"


def _open_campaign_when_listed(browser: Browser, title: str) -> None:
    """feedback learns the new member from identity's events: the campaign is listed for
    them once it has."""
    deadline = time.monotonic() + 15
    while title not in browser.text:
        assert time.monotonic() < deadline, f"{title} never listed: {browser.text}"
        time.sleep(0.3)
        browser.visit("/feedback")
    browser.check("campaigns")
    browser.follow(title)


def member_journey(
    browser: Browser, stack, email: str, campaign: dict[str, Any], event: dict[str, Any]
) -> None:  # type: ignore[no-untyped-def]
    _sign_in(browser, stack, email)
    browser.check("home-feedback-content")

    # Feedback: the campaigns list, the campaign, its questions.
    browser.follow("Feedback")
    assert browser.heading == "Feedback campaigns"
    _open_campaign_when_listed(browser, campaign["title"])
    assert browser.heading == campaign["title"]
    assert "not answered yet" in browser.text
    browser.check("campaign")
    browser.press("Answer the questions")
    assert browser.heading == "Answer the questions"
    browser.check("respond")
    browser.press("Save your answers")
    assert "There is a problem" in browser.text
    assert "Select an answer: How supported do you feel?" in browser.text
    assert "Select an answer: What should come first?" in browser.text
    browser.check("respond-errors")
    _choose(browser, "answer-support-4")
    _choose(browser, "answer-priority-2")
    _choose(browser, "answer-barriers")
    _choose(browser, "answer-barriers-3")
    browser.fill("answer-anything", "More time to think.")
    browser.press("Save your answers")
    assert browser.heading == campaign["title"], browser.text
    assert "Your answers have been saved" in browser.text
    assert "answered this campaign" in browser.text
    browser.check("campaign-answered")
    browser.press("Change your answers")
    assert browser.driver.find_element(By.ID, "answer-support-4").is_selected()
    assert browser.driver.find_element(By.ID, "answer-barriers-3").is_selected()
    browser.follow("Back")

    # A statement of their own (it waits for moderation), then votes on the others'.
    browser.press("Add a statement")
    assert browser.heading == "Add a statement"
    browser.check("statement-new")
    browser.press("Add statement")
    assert "Enter your statement" in browser.text
    browser.check("statement-errors")
    browser.fill("text", f"Hiring should take weeks, not months {unique('')}")
    browser.press("Add statement")
    assert browser.heading == "Vote on statements"
    assert "once a moderator has approved it" in browser.text
    assert "You have voted on 0 of 2 statements" in browser.text
    browser.check("vote")
    browser.press("Save vote")
    assert "Select agree, disagree or pass" in browser.text
    browser.check("vote-errors")
    first = browser.driver.find_element(By.TAG_NAME, "legend").text
    _choose(browser, "vote")  # agree
    browser.press("Save vote")
    assert "You have voted on 1 of 2 statements" in browser.text
    assert browser.driver.find_element(By.TAG_NAME, "legend").text != first
    _choose(browser, "vote-2")  # disagree
    browser.press("Save vote")
    assert "You have voted on 2 of 2 statements" in browser.text
    assert "You have voted on every statement so far" in browser.text
    browser.check("vote-done")

    # A vote the form never offers, and an answer out of range: GOV.UK errors, not a 500.
    with httpx.Client(base_url=stack.gateway_url, cookies=_cookies(browser), timeout=10) as client:
        path = f"/feedback/{campaign['id']}"
        token = _csrf_token(client, f"{path}/respond")
        refused = client.post(
            f"{path}/respond",
            data={"csrf_token": token, "answer-support": "9", "answer-priority": "Pay"},
            headers={"accept": "text/html"},
        )
        assert refused.status_code == 400
        assert "govuk-error-summary" in refused.text
        assert "Select a rating between 1 and 5: How supported do you feel?" in refused.text
        refused = client.post(
            f"{path}/statements/{campaign['id']}/vote",
            data={"csrf_token": token, "vote": "maybe"},
            headers={"accept": "text/html"},
        )
        assert refused.status_code == 400
        assert "govuk-error-summary" in refused.text
        assert "Select agree, disagree or pass" in refused.text
        not_a_campaign = client.get("/feedback/not-a-uuid", headers={"accept": "text/html"})
        assert not_a_campaign.status_code in (400, 404)
        assert "govuk-heading-l" in not_a_campaign.text

    # The report is not out until the campaign closes.
    browser.visit(f"/feedback/{campaign['id']}/report")
    assert browser.heading == "There is no report yet"
    browser.check("no-report")

    # Content: the feed, the event, a place, the calendar file.
    browser.visit("/")
    browser.follow("Your feed")
    assert browser.heading == "Your feed"
    assert event["title"] in browser.text
    browser.check("feed")
    browser.follow(event["title"])
    assert browser.heading == event["title"]
    assert "Manchester Town Hall" in browser.text
    assert "questions" in browser.text
    browser.check("event")
    browser.press("Book a place")
    assert "Your place is confirmed" in browser.text
    assert "Confirmed" in browser.text
    browser.check("event-booked")
    link = browser.driver.find_element(By.LINK_TEXT, "Add to your calendar (.ics file)")
    with httpx.Client(cookies=_cookies(browser), timeout=10) as client:
        ics = client.get(str(link.get_attribute("href")))
    assert ics.status_code == 200
    assert ics.headers["content-type"].startswith("text/calendar")
    assert "attachment" in ics.headers["content-disposition"]
    assert "BEGIN:VEVENT" in ics.text
    assert event["title"] in ics.text.replace("\r\n ", "")
    assert f"/content/items/{event['id']}" in ics.text.replace("\r\n ", "")
    browser.press("Cancel your place")
    assert "Your place has been cancelled" in browser.text
    browser.check("event-cancelled")

    browser.visit("/content/events")
    assert browser.heading == "Events"
    assert event["title"] in browser.text
    browser.check("events")
    browser.visit("/content/topics")
    assert browser.heading == "Topics"
    browser.check("topics")
    browser.visit("/content/curation")
    assert browser.heading == "You cannot see this page"


async def test_a_member_answers_a_campaign_votes_and_books_an_event(stack, browser) -> None:
    email = unique_email("grace")
    await _member_invited(stack, email)
    campaign = await _campaign(stack, unique("Workforce pressures"))
    event = await _published_event(stack, unique("Leaders breakfast"))
    await asyncio.to_thread(member_journey, browser, stack, email, campaign, event)


def admin_journey(browser: Browser, stack, token: str, reviewer: str) -> None:  # type: ignore[no-untyped-def]
    browser.set_cookie("convene_session", token)

    # A campaign, created through the form.
    browser.visit("/feedback")
    browser.press("Create a campaign")
    assert browser.heading == "Create a campaign"
    # What reports will show, before anything is asked (the feedback service's rules).
    assert "at least 10 members are in the audience" in browser.text
    browser.check("campaign-new")
    browser.press("Create and open campaign")
    assert "Enter a title" in browser.text
    assert "Enter the date the campaign closes" in browser.text
    browser.check("campaign-new-errors")
    title = unique("Digital skills")
    browser.fill("title", title)
    browser.fill("question", "What would help your teams use data well?")
    closes = datetime.now(UTC).date() + timedelta(days=14)
    browser.fill("closes_on-day", str(closes.day))
    browser.fill("closes_on-month", str(closes.month))
    browser.fill("closes_on-year", str(closes.year))
    browser.fill("q1-prompt", "How confident are your teams with data?")
    Select(browser.driver.find_element(By.ID, "q1-kind")).select_by_value("rating")
    browser.fill("statements", "Every department needs a chief data officer")
    browser.press("Create and open campaign")
    assert browser.heading == title, browser.text
    assert f"Campaign {title} is open" in browser.text
    browser.check("campaign-admin")
    browser.follow("Moderate statements")
    assert browser.heading == "Moderate statements"
    assert "Every department needs a chief data officer" in browser.text
    browser.check("moderation")
    browser.follow("Back")
    browser.follow("Post a follow-up (you said, we did)")
    browser.check("follow-up")
    browser.press("Post follow-up")
    assert "Enter what people said" in browser.text
    browser.check("follow-up-errors")
    browser.fill("you_said", "Data skills are thin.")
    browser.fill("we_did", "We funded a data academy.")
    browser.press("Post follow-up")
    assert "Publish a report before posting a follow-up" in browser.text
    browser.follow("Back")
    campaign_path = browser.path
    # Nobody has answered yet: an interim report needs 5 new respondents, and the page says so.
    browser.press("Publish the report now")
    assert browser.heading == title
    assert "An interim report needs at least 5 new respondents" in browser.text
    browser.check("report-refused")
    browser.press("Close the campaign")
    assert "The campaign is closed" in browser.text
    browser.check("campaign-closed")
    # The final report follows within seconds (the campaign clock).
    deadline = time.monotonic() + 30
    while True:
        browser.visit(f"{campaign_path}/report")
        if "Final report" in browser.text or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert browser.heading == title
    assert "Final report" in browser.text
    browser.check("report")
    browser.follow("Back")
    browser.follow("Post a follow-up (you said, we did)")
    browser.fill("you_said", "Data skills are thin.")
    browser.fill("we_did", "We funded a data academy.")
    browser.press("Post follow-up")
    assert "You said, we did" in browser.text
    assert "We funded a data academy." in browser.text

    # An item, written, sent for review, approved by someone else, published.
    browser.visit("/content/curation")
    assert browser.heading == "Curation"
    browser.check("curation")
    browser.press("Write an item")
    browser.check("item-new")
    browser.press("Save draft")
    assert "Select the kind of item" in browser.text
    assert "Enter a title" in browser.text
    browser.check("item-new-errors")
    item_title = unique("Council finances")
    _choose(browser, "kind")  # article
    browser.fill("title", item_title)
    browser.fill("summary", "What the settlement means for you.")
    browser.fill("body_markdown", "Read **this** first. <script>alert(1)</script>")
    browser.press("Save draft")
    assert browser.heading == item_title, browser.text
    assert "Draft" in browser.text
    browser.check("curation-item")
    browser.press("Send for review")
    assert "sent for review" in browser.text
    browser.press("Approve")
    assert "There is a problem" in browser.text
    assert "You cannot approve an item you wrote" in browser.text
    assert browser.heading == item_title
    browser.check("curation-own-approval-refused")
    item_id = browser.path.split("/")[3]
    with httpx.Client(base_url=stack.gateway_url, timeout=10) as client:
        approved = client.post(
            f"/api/content/items/{item_id}/approve",
            headers={"Authorization": f"Bearer {reviewer}"},
        )
    assert approved.status_code == 200, approved.text
    browser.visit(f"/content/curation/{item_id}")
    browser.press("Publish now")
    assert f"{item_title} published" in browser.text
    browser.check("curation-published")
    browser.follow("See it as members do")
    assert browser.heading == item_title
    assert "<script>" in browser.text  # shown as text, never run
    browser.check("article")


async def test_a_programme_admin_runs_a_campaign_and_publishes_an_item(stack, browser) -> None:
    token = await stack.admin_token()
    reviewer = await stack.token(unique("curator"), ("member", "curator"))
    await asyncio.to_thread(admin_journey, browser, stack, token, reviewer)


def report_journey(
    browser: Browser,
    admin: str,
    member: str,
    campaign: dict[str, Any],
    statements: list[dict[str, Any]],
) -> None:
    path = f"/feedback/{campaign['id']}"
    browser.set_cookie("convene_session", member)
    browser.visit(path)
    browser.follow("Read the report")
    assert browser.heading == campaign["title"]
    assert "Final report" in browser.text
    table = browser.driver.find_element(
        By.XPATH, "//caption[contains(., 'What should come first?: answers')]/.."
    )
    assert [h.text for h in table.find_elements(By.CSS_SELECTOR, "tbody th")] == ["Pay", "Skills"]
    assert [c.text for c in table.find_elements(By.CSS_SELECTOR, "tbody td")] == ["4", "2"]
    assert "Where people agree" in browser.text
    assert "Leaders need more say over budgets" in browser.text
    browser.check("report-final")
    with httpx.Client(base_url=browser.base_url, cookies=_cookies(browser), timeout=10) as client:
        csv = client.get(f"{path}/report.csv")
        pdf = client.get(f"{path}/report.pdf")
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.startswith("section,item,group,measure,value")
    assert "attachment" in csv.headers["content-disposition"]
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    with httpx.Client(base_url=browser.base_url, cookies=_cookies(browser), timeout=10) as client:
        late = client.post(
            f"{path}/statements/{statements[0]['id']}/vote",
            data={"csrf_token": _csrf_token(client, "/sign-out"), "vote": "agree"},
            headers={"accept": "text/html"},
        )
    assert late.status_code == 400
    assert "This campaign is closed: votes are no longer taken" in late.text

    browser.set_cookie("convene_session", admin)
    browser.visit(path)
    assert browser.heading == campaign["title"]
    browser.follow("Read the report")
    assert "Final report" in browser.text
    browser.check("report-final-admin")


async def test_a_published_report_reads_as_tables_with_downloads(stack, browser) -> None:
    people = await leaders(stack, 6)
    campaign = await _campaign(stack, unique("Workforce pressures"))
    cid = campaign["id"]
    admin = await stack.admin_token()
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=10) as client:
        statements = (
            await client.get(f"/api/feedback/campaigns/{cid}/statements", headers=people[0].headers)
        ).json()["items"]
        for i, leader in enumerate(people):
            answers = {"support": 4 + i % 2, "priority": "Pay" if i < 4 else "Skills"}
            put = await client.put(
                f"/api/feedback/campaigns/{cid}/response",
                json={"answers": answers},
                headers=leader.headers,
            )
            assert put.status_code == 201, put.text
            for statement in statements:
                vote = await client.post(
                    f"/api/feedback/campaigns/{cid}/statements/{statement['id']}/votes",
                    json={"vote": "agree"},
                    headers=leader.headers,
                )
                assert vote.status_code == 201, vote.text
        await close_and_wait(client, {"Authorization": f"Bearer {admin}"}, cid)
    member = people[0].headers["Authorization"].removeprefix("Bearer ")
    await asyncio.to_thread(report_journey, browser, admin, member, campaign, statements)

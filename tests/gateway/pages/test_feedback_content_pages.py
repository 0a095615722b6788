"""Feedback and content pages at the HTTP level: who may open them, and bad or refused input
coming back as GOV.UK pages (error summary, inline message, 4xx), never a 500 or JSON."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from support import unique

HTML = {"accept": "text/html"}


def csrf_of(page: httpx.Response) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, "the form has no CSRF token"
    return match.group(1)


@pytest.fixture
async def member(stack) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    token = await stack.token(str(uuid.uuid4()), ("member",))
    async with httpx.AsyncClient(
        base_url=stack.gateway_url, cookies={"convene_session": token}, headers=HTML, timeout=10
    ) as client:
        yield client


@pytest.fixture
async def admin(stack) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    token = await stack.admin_token()
    async with httpx.AsyncClient(
        base_url=stack.gateway_url, cookies={"convene_session": token}, headers=HTML, timeout=10
    ) as client:
        yield client


async def test_signed_out_visitors_are_sent_to_sign_in(stack) -> None:
    item = uuid.uuid4()
    async with httpx.AsyncClient(base_url=stack.gateway_url, headers=HTML, timeout=10) as client:
        for path in ("/feedback", "/content", f"/content/items/{item}", "/content/curation"):
            answer = await client.get(path)
            assert answer.status_code == 303, path
            assert answer.headers["location"] == f"/sign-in?next={path}"


async def test_what_a_member_may_not_see_is_a_page_not_a_crash(member, admin) -> None:
    # A campaign outside the member's audience (identity has never activated them): not found,
    # exactly like one that does not exist, so audiences cannot be probed.
    created = await admin.get("/feedback/new")
    created = await admin.post(
        "/feedback/new",
        data={
            "csrf_token": csrf_of(created),
            "title": unique("Audience check"),
            "question": "Who can see this?",
            "closes_on-day": "1",
            "closes_on-month": "1",
            "closes_on-year": "2099",
        },
    )
    assert created.status_code == 303
    campaign_path = created.headers["location"]
    for path in (campaign_path, f"/feedback/{uuid.uuid4()}", f"/content/items/{uuid.uuid4()}"):
        answer = await member.get(path)
        assert answer.status_code == 404, path
        assert "Page not found" in answer.text
    assert (await member.get("/feedback/not-an-id")).status_code == 400
    refused = await member.get("/content/curation")
    assert refused.status_code == 403
    assert "You cannot see this page" in refused.text
    refused = await member.get(f"{campaign_path}/moderation")
    assert refused.status_code == 403


async def test_forms_without_their_csrf_token_change_nothing(admin) -> None:
    form = await admin.get("/content/curation/new")
    created = await admin.post(
        "/content/curation/new",
        data={"csrf_token": csrf_of(form), "kind": "article", "title": unique("Briefing")},
    )
    assert created.status_code == 303
    item_path = created.headers["location"]
    refused = await admin.post(f"{item_path}/submit", data={"csrf_token": "forged"})
    assert refused.status_code == 400
    assert "There is a problem" in refused.text
    assert "The form had expired" in refused.text
    page = await admin.get(item_path)
    assert "Draft" in page.text
    assert "Send for review" in page.text  # still a draft: nothing moved
    submitted = await admin.post(f"{item_path}/submit", data={"csrf_token": csrf_of(page)})
    assert submitted.status_code == 303
    assert "Submitted" in (await admin.get(item_path)).text


async def test_curation_form_errors_are_shown_by_their_fields(admin) -> None:
    form = await admin.get("/content/curation/new")
    answer = await admin.post(
        "/content/curation/new",
        data={
            "csrf_token": csrf_of(form),
            "kind": "event",
            "title": "Leaders breakfast",
            "starts_at-day": "31",
            "starts_at-month": "2",
            "starts_at-year": "2027",
            "starts_at-time": "08:00",
            "capacity": "lots",
        },
    )
    assert answer.status_code == 400
    assert "There is a problem" in answer.text
    assert "Enter a real date and a time like 14:30 for when the event starts" in answer.text
    assert "Enter where the event is, or its online link" in answer.text
    assert "Places must be a whole number from 1 to 100,000" in answer.text
    assert 'href="#starts_at-day"' in answer.text  # the summary links to the field

    # Refused by the content service itself: its 422 becomes the field's message.
    answer = await admin.post(
        "/content/curation/new",
        data={
            "csrf_token": csrf_of(form),
            "kind": "event",
            "title": "Leaders breakfast",
            "starts_at-day": "3",
            "starts_at-month": "12",
            "starts_at-year": "2027",
            "starts_at-time": "08:00",
            "online_url": "not a web address",
        },
    )
    assert answer.status_code == 400
    assert "Enter a full web address starting with https://" in answer.text
    assert 'value="Leaders breakfast"' in answer.text  # what they typed is kept


async def test_a_campaign_must_close_in_the_future(admin) -> None:
    form = await admin.get("/feedback/new")
    answer = await admin.post(
        "/feedback/new",
        data={
            "csrf_token": csrf_of(form),
            "title": "Too late",
            "question": "Anyone?",
            "closes_on-day": "1",
            "closes_on-month": "1",
            "closes_on-year": "2020",
            "q1-prompt": "Pick one",
            "q1-kind": "single_choice",
            "q1-options": "Only one",
        },
    )
    assert answer.status_code == 400
    assert "The date the campaign closes must be in the future" in answer.text
    assert "Enter at least two different options for question 1" in answer.text


async def test_a_curator_shares_an_item_with_departments_from_the_form(admin, stack) -> None:  # type: ignore[no-untyped-def]
    form = await admin.get("/content/curation/new")
    assert "Share this item with other departments" in form.text
    title = unique("Shared guidance")
    answer = await admin.post(
        "/content/curation/new",
        data={
            "csrf_token": csrf_of(form),
            "kind": "article",
            "title": title,
            "summary": "For everyone, departments included",
            "shared_with_departments": "yes",
        },
    )
    assert answer.status_code == 303, answer.text
    item_page = answer.headers["location"]
    item_id = item_page.rstrip("/").rsplit("/", 1)[-1]
    api = {"Authorization": f"Bearer {await stack.admin_token()}"}
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=10) as client:
        item = await client.get(f"/api/content/items/{item_id}", headers=api)
    assert item.status_code == 200, item.text
    assert item.json()["shared_with_departments"] is True
    edit = await admin.get(f"/content/curation/{item_id}/edit")
    assert re.search(r'value="yes"\s+checked', edit.text)

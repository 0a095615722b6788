"""The directory's web pages where they refuse: a stale or forged search cursor, filters the
directory does not know, a mistyped profile address, a contact request to someone who blocked
you or beyond the daily limit, a forged form, a photo too large. Each is a page that explains
itself (never a 500, never JSON for a browser)."""

from __future__ import annotations

import html
import re

import httpx
from support import eventually, unique, unique_email

PAGE = {"Accept": "text/html"}


def csrf_of(page: httpx.Response) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, "the form has no CSRF token"
    return match.group(1)


async def published_members(stack, names: list[str]) -> list[str]:  # type: ignore[no-untyped-def]
    """Members with published profiles (through the API), in order; their member ids. All are
    invited first, so their draft profiles arrive in the directory together."""
    admin = {"Authorization": f"Bearer {await stack.admin_token()}"}
    member_ids: list[str] = []
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=10) as client:
        for name in names:
            created = await client.post(
                "/api/identity/invitations",
                json={"full_name": name, "email": unique_email("web"), "organisation": "ONS"},
                headers=admin,
            )
            assert created.status_code == 201, created.text
            member_ids.append(created.json()["member_id"])
        for member_id in member_ids:

            async def draft(member_id: str = member_id) -> bool:
                found = await client.get(f"/api/directory/profiles/{member_id}", headers=admin)
                return found.status_code == 200

            await eventually(draft)
            own = {"Authorization": f"Bearer {await stack.token(member_id)}"}
            changed = await client.patch(
                "/api/directory/profiles/me",
                json={"job_title": "Director", "sector": "police_justice", "region": "wales"},
                headers=own,
            )
            assert changed.status_code == 200, changed.text
            published = await client.post("/api/directory/profiles/me/publish", headers=own)
            assert published.status_code == 200, published.text
    return member_ids


async def published_member(stack, name: str) -> str:  # type: ignore[no-untyped-def]
    return (await published_members(stack, [name]))[0]


async def browser_as(stack, member_id: str) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    client = httpx.AsyncClient(base_url=stack.gateway_url, timeout=10, headers=PAGE)
    client.cookies.set("convene_session", await stack.token(member_id))
    return client


async def test_a_forged_cursor_or_unknown_filter_is_a_friendly_search_page(stack) -> None:
    member = await published_member(stack, unique("Searcher"))
    async with await browser_as(stack, member) as client:
        forged = await client.get("/directory", params={"cursor": "not-a-real-cursor"})
        assert forged.status_code == 400
        assert "This page of results is out of date. Start your search again." in forged.text
        assert "Find a leader" in forged.text
        unknown = await client.get("/directory", params={"sector": "ministry_of_magic"})
        assert unknown.status_code == 400
        assert "We could not use those filters" in unknown.text
        mistyped = await client.get("/directory/people/not-a-member-id")
        assert mistyped.status_code == 404
        assert "Page not found" in mistyped.text


async def test_search_pages_follow_on_and_come_back(stack) -> None:
    word = unique("Zebedee").split("-")[1]
    members = await published_members(stack, [f"Pat {word} {n:02d}" for n in range(21)])
    async with await browser_as(stack, members[0]) as client:
        first = await client.get("/directory", params={"q": word})
        assert first.status_code == 200
        assert "Leaders 1 to 20" in first.text
        assert 'rel="prev"' not in first.text
        second = await client.get(link(first, "next"))
        assert "Leaders 21 to 21" in second.text
        assert 'rel="next"' not in second.text
        back = await client.get(link(second, "prev"))
        assert "Leaders 1 to 20" in back.text
        assert back.text.count("/directory/people/") == first.text.count("/directory/people/")
        filtered = await client.get("/directory", params={"q": word, "sector": "police_justice"})
        assert "Leaders 1 to 20" in filtered.text
        assert re.search(r'value="police_justice"\s+checked', filtered.text)
        assert "Police and justice (21)" in filtered.text
        none = await client.get("/directory", params={"q": word, "sector": "education"})
        assert none.status_code == 200
        assert "No leaders match your search" in none.text


def link(page: httpx.Response, rel: str) -> str:
    match = re.search(rf'href="([^"]+)"\s+rel="{rel}"', page.text)
    assert match, f"no {rel} link"
    return html.unescape(match.group(1))


async def test_a_blocked_member_is_told_they_cannot_ask(stack) -> None:
    asker = await published_member(stack, unique("Asker"))
    blocker = await published_member(stack, unique("Blocker"))
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=10) as api:
        blocked = await api.post(
            "/api/directory/profiles/me/blocks",
            json={"member_id": asker},
            headers={"Authorization": f"Bearer {await stack.token(blocker)}"},
        )
        assert blocked.status_code == 204, blocked.text
    async with await browser_as(stack, asker) as client:
        form = await client.get(f"/directory/people/{blocker}/contact")
        sent = await client.post(
            f"/directory/people/{blocker}/contact",
            data={"reason": "Could we talk about shared services?", "csrf_token": csrf_of(form)},
        )
        assert sent.status_code == 400
        assert "You cannot send a contact request to this person" in sent.text
        assert "There is a problem" in sent.text


async def test_the_daily_limit_and_a_forged_form_are_explained(stack) -> None:
    asker = await published_member(stack, unique("Eager"))
    others = await published_members(stack, [unique("Busy") for _ in range(6)])
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=10) as api:
        token = {"Authorization": f"Bearer {await stack.token(asker)}"}
        for other in others[:5]:  # the test stack allows 5 a day
            made = await api.post(
                "/api/directory/contact-requests",
                json={"recipient_id": other, "reason": "Keen to compare notes on delivery."},
                headers=token,
            )
            assert made.status_code == 201, made.text
    async with await browser_as(stack, asker) as client:
        form = await client.get(f"/directory/people/{others[5]}/contact")
        forged = await client.post(
            f"/directory/people/{others[5]}/contact",
            data={"reason": "Keen to compare notes on delivery.", "csrf_token": "forged"},
        )
        assert forged.status_code == 400
        assert "The form had expired" in forged.text
        limited = await client.post(
            f"/directory/people/{others[5]}/contact",
            data={"reason": "Keen to compare notes on delivery.", "csrf_token": csrf_of(form)},
        )
        assert limited.status_code == 400
        assert "You have sent as many contact requests as you can in 24 hours" in limited.text
        short = await client.post(
            f"/directory/people/{others[5]}/contact",
            data={"reason": "Hi", "csrf_token": csrf_of(form)},
        )
        assert "Your reason must be 10 characters or more" in short.text
        sent = await client.get("/contact-requests")
        assert sent.text.count("Waiting for an answer") == 5


async def test_a_photo_too_large_is_refused_with_a_clear_error(stack) -> None:
    member = await published_member(stack, unique("Photographer"))
    async with await browser_as(stack, member) as client:
        form = await client.get("/profile/photo")
        big = b"\x89PNG\r\n\x1a\n" + b"\x00" * 600_000
        refused = await client.post(
            "/profile/photo",
            data={"csrf_token": csrf_of(form)},
            files={"photo": ("big.png", big, "image/png")},
        )
        assert refused.status_code == 400
        assert "The selected file must be smaller than 500 KB" in refused.text
        empty = await client.post("/profile/photo", data={"csrf_token": csrf_of(form)})
        assert "Select a photo" in empty.text


async def test_the_photo_limit_is_the_directorys_own(stack) -> None:
    """The pages state and check the limit the directory's vocabularies give, not a copy."""
    member = await published_member(stack, unique("Photographer"))
    settings = stack.runtime("directory").settings
    saved = settings.photo_max_bytes
    settings.photo_max_bytes = 100 * 1024
    try:
        async with await browser_as(stack, member) as client:
            form = await client.get("/profile/photo")
            assert "WebP image smaller than 100 KB." in form.text
            big = b"\x89PNG\r\n\x1a\n" + b"\x00" * (120 * 1024)
            refused = await client.post(
                "/profile/photo",
                data={"csrf_token": csrf_of(form)},
                files={"photo": ("big.png", big, "image/png")},
            )
            assert refused.status_code == 400
            assert "The selected file must be smaller than 100 KB" in refused.text
    finally:
        settings.photo_max_bytes = saved


async def test_directory_pages_ask_visitors_to_sign_in(stack) -> None:
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=10, headers=PAGE) as client:
        for path in ("/directory", "/profile", "/contact-requests"):
            answer = await client.get(path)
            assert answer.status_code == 303
            assert answer.headers["location"] == f"/sign-in?next={path}"


async def test_a_request_answered_twice_and_a_forged_organisation_are_explained(stack) -> None:
    asker, recipient = await published_members(stack, [unique("Keen"), unique("Sought")])
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=10) as api:
        made = await api.post(
            "/api/directory/contact-requests",
            json={"recipient_id": recipient, "reason": "Could we share our workforce plans?"},
            headers={"Authorization": f"Bearer {await stack.token(asker)}"},
        )
        assert made.status_code == 201, made.text
    async with await browser_as(stack, recipient) as client:
        page = await client.get("/contact-requests")
        action = f"/contact-requests/{made.json()['id']}/decision"
        assert action in page.text
        data = {"decision": "accept", "csrf_token": csrf_of(page)}
        accepted = await client.post(action, data=data)
        assert accepted.status_code == 303
        again = await client.post(action, data=data)
        assert again.status_code == 400
        assert "This contact request cannot be answered" in again.text

        form = await client.get("/profile/edit")
        forged = await client.post(
            "/profile/edit",
            data={
                "csrf_token": csrf_of(form),
                "job_title": "Director",
                "sector": "police_justice",
                "region": "wales",
                "organisation_id": "not-an-organisation",
            },
        )
        assert forged.status_code == 400
        assert "Choose an organisation from the list" in forged.text
        assert 'value="Director"' in forged.text, "what the member typed is kept"


async def test_a_member_shares_with_departments_from_the_page_and_stops(stack) -> None:  # type: ignore[no-untyped-def]
    from support import events_on_topic

    member = await published_member(stack, "Ada Departments")
    async with await browser_as(stack, member) as browser:
        form = await browser.get("/profile/edit")
        assert "Share with other government departments" in form.text
        # The photo can never go to departments, so it is not offered there.
        assert 'id="visibility_photo-' in form.text
        photo_radios = form.text.split('name="visibility_photo"')
        assert all('value="departments"' not in part[:80] for part in photo_radios[1:])

        fields = {
            "csrf_token": csrf_of(form),
            "job_title": "Director",
            "sector": "police_justice",
            "region": "wales",
            "share_with_departments": ["name", "job_title"],
            "visibility_email": "departments",
            "email": "ada@example.gov.uk",
        }
        saved = await browser.post("/profile/edit", data=fields)
        assert saved.status_code == 303, saved.text
        page = await browser.get("/profile")
        assert "Departments that subscribe to Convene's public events see:" in page.text
        assert "Your name, Job title, Email address" in page.text

        (published,) = await events_on_topic(
            stack.infrastructure.kafka_bootstrap, "public.directory.profile.v1", member, want=1
        )
        entry = published.data
        assert published.type == "public.directory.profile.published.v1"
        assert entry["shared"] == ["email", "job_title", "name"]
        assert entry["full_name"] == "Ada Departments"
        assert entry["job_title"] == "Director"
        assert entry["email"] == "ada@example.gov.uk"
        assert not {"sector", "region", "phone", "bio"} & set(entry)

        form = await browser.get("/profile/edit")
        fields = {**fields, "csrf_token": csrf_of(form), "visibility_email": "members"}
        del fields["share_with_departments"]
        saved = await browser.post("/profile/edit", data=fields)
        assert saved.status_code == 303, saved.text
        page = await browser.get("/profile")
        assert "Departments outside Convene see nothing of your profile." in page.text
        events = await events_on_topic(
            stack.infrastructure.kafka_bootstrap, "public.directory.profile.v1", member, want=2
        )
        assert events[-1].type == "public.directory.profile.removed.v1"

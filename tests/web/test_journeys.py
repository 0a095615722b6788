"""The journeys that exist today, in a real browser, with and without JavaScript, every page
checked by axe-core: sign in from an emailed link (a new member lands on their draft profile),
invite as a programme admin (one person and a CSV file), create a cohort, sign out."""

from __future__ import annotations

import asyncio

import httpx
from selenium.webdriver.common.by import By
from support import eventually, unique, unique_email
from web_browser import Browser, link_in_mailbox_sync


async def _invite(stack, email: str, name: str) -> None:  # type: ignore[no-untyped-def]
    admin = {"Authorization": f"Bearer {await stack.admin_token()}"}
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=10) as client:
        created = await client.post(
            "/api/identity/invitations",
            json={"full_name": name, "email": email, "organisation": "HM Treasury"},
            headers=admin,
        )
    assert created.status_code == 201, created.text
    member_id = created.json()["member_id"]

    async def draft_profile() -> bool:
        async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=10) as client:
            found = await client.get(f"/api/directory/profiles/{member_id}", headers=admin)
        return found.status_code == 200

    await eventually(draft_profile)


def sign_in_journey(browser: Browser, stack, email: str) -> None:  # type: ignore[no-untyped-def]
    browser.visit("/")
    assert browser.heading == "Convene"
    browser.check("start")
    if browser.javascript:
        classes = browser.driver.find_element(By.TAG_NAME, "body").get_attribute("class")
        assert "govuk-frontend-supported" in classes, "the nonce'd inline script did not run"

    # The invitation email's link: a confirmation page, then the button signs in.
    browser.visit(link_in_mailbox_sync(stack.mailbox, email, "identity.invitation"))
    assert browser.heading == "Confirm you want to sign in"
    browser.check("sign-in-confirm")
    browser.press("Sign in to Convene")
    assert browser.path == "/profile", "a new member lands on completing their draft profile"
    assert browser.heading == "Complete your profile"
    browser.visit("/")
    assert browser.heading == "Welcome, Grace Hopkins"
    assert email in browser.text
    browser.check("home")

    browser.follow("Sign out")
    assert browser.heading == "Sign out of Convene"
    browser.check("sign-out")
    browser.press("Sign out")
    assert browser.heading == "You have signed out"
    browser.check("signed-out")
    browser.visit("/admin/invitations")
    assert browser.path.startswith("/sign-in?next=/admin/invitations")

    # Signing in again: ask for a link by email.
    browser.visit("/sign-in")
    browser.check("sign-in")
    browser.press("Email me a sign-in link")
    assert browser.heading.startswith("Sign in to Convene")
    assert "There is a problem" in browser.text
    assert "Enter your email address" in browser.text
    browser.check("sign-in-error")
    browser.fill("email", email)
    browser.press("Email me a sign-in link")
    assert browser.heading == "Check your email"
    browser.check("check-email")
    browser.visit(link_in_mailbox_sync(stack.mailbox, email, "identity.sign_in_link"))
    browser.press("Sign in to Convene")
    assert browser.heading == "Complete your profile"
    browser.visit("/cookies")
    browser.check("cookies")
    browser.visit("/accessibility")
    browser.check("accessibility")


def admin_journey(browser: Browser, token: str) -> None:
    browser.set_cookie("convene_session", token)
    browser.visit("/")
    browser.follow("Invitations")
    assert browser.heading == "Invitations"
    browser.check("invitations")

    browser.press("Invite someone")
    assert browser.heading == "Invite someone to Convene"
    browser.check("invite")
    browser.press("Send invitation")
    assert "There is a problem" in browser.text
    assert "Enter the person's full name" in browser.text
    browser.check("invite-errors")
    outside = unique_email("ada").replace("example.gov.uk", "example.org")
    browser.fill("full_name", "Ada Lovelace")
    browser.fill("email", outside)
    browser.fill("organisation", "Analytical Engines Trust")
    browser.press("Send invitation")
    assert "outside the public sector allow-list" in browser.text
    browser.check("invite-not-allowed")
    browser.fill("override_reason", "Chairs the cross-sector council on data ethics")
    browser.press("Send invitation")
    assert browser.heading == "Invitations", browser.text
    assert "Invitation sent to Ada Lovelace" in browser.text
    assert outside in browser.text
    browser.check("invitations-sent")

    browser.visit("/admin/invitations/upload")
    browser.check("upload")
    csv = browser.profile + "/people.csv"
    with open(csv, "w") as file:
        file.write("full_name,email,organisation\n")
        file.write(f"Alan Turing,{unique_email('alan')},Government Digital Service\n")
        file.write("No Email,,Home Office\n")
    browser.driver.find_element(By.ID, "file").send_keys(csv)
    browser.press("Send invitations")
    assert browser.heading == "Invitations from your file", browser.driver.page_source[:3000]
    assert "1 person invited, 1 line not accepted" in browser.text
    browser.check("upload-result")

    browser.visit("/admin/cohorts")
    browser.check("cohorts")
    browser.press("Create a cohort")
    browser.check("cohort-new")
    name = unique("Leadership Programme")
    browser.fill("name", name)
    browser.fill("starts_on-day", "15")
    browser.fill("starts_on-month", "9")
    browser.fill("starts_on-year", "2026")
    browser.fill("ends_on-day", "31")
    browser.fill("ends_on-month", "2")
    browser.fill("ends_on-year", "2027")
    browser.press("Create cohort")
    assert "The date the cohort ends must be a real date" in browser.text
    browser.check("cohort-errors")
    browser.fill("ends_on-day", "15")
    browser.fill("ends_on-month", "7")
    browser.press("Create cohort")
    assert browser.heading == "Cohorts"
    assert f"Cohort {name} created" in browser.text
    assert name in browser.text
    browser.check("cohorts-created")

    browser.visit("/api/docs")
    assert browser.heading == "Convene API"
    browser.check("api-docs")
    browser.visit("/no-such-page")
    assert browser.heading == "Page not found"
    browser.check("not-found")


async def test_a_member_signs_in_from_the_emailed_link_and_signs_out(stack, browser) -> None:
    email = unique_email("grace")
    await _invite(stack, email, "Grace Hopkins")
    await asyncio.to_thread(sign_in_journey, browser, stack, email)


async def test_a_programme_admin_invites_people_and_creates_a_cohort(stack, browser) -> None:
    token = await stack.admin_token()
    await asyncio.to_thread(admin_journey, browser, token)

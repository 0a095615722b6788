"""The directory in a real browser, with and without JavaScript, every page checked by axe-core:
a new member signs in from the invitation and lands on "complete your profile", fills it in
(errors first), uploads a photo (a wrong file first), publishes, finds a colleague in another
sector with search and a facet filter, asks for contact (an empty reason first), and the
colleague accepts and sees who viewed them; then the member sees the colleague's contact details,
reports the profile as out of date, and names (and removes) the colleague as a delegate."""

from __future__ import annotations

import asyncio
import random
import string
import struct
import zlib
from dataclasses import dataclass

import httpx
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
from support import eventually, unique_email
from web_browser import Browser, link_in_mailbox_sync


def png_bytes() -> bytes:
    """A real 1 x 1 PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x1d\x70\xb8")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def surname() -> str:
    """A made-up surname no other test uses, so a search finds exactly this person."""
    return "Qu" + "".join(random.choices(string.ascii_lowercase, k=9))


@dataclass
class Member:
    member_id: str
    name: str
    email: str


async def invite(stack, name: str) -> Member:  # type: ignore[no-untyped-def]
    """An invited member whose draft profile has reached the directory."""
    admin = {"Authorization": f"Bearer {await stack.admin_token()}"}
    email = unique_email("leader")
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=10) as client:
        created = await client.post(
            "/api/identity/invitations",
            json={"full_name": name, "email": email, "organisation": "HM Treasury"},
            headers=admin,
        )
        assert created.status_code == 201, created.text
        member_id = created.json()["member_id"]

        async def draft() -> bool:
            found = await client.get(f"/api/directory/profiles/{member_id}", headers=admin)
            return found.status_code == 200

        await eventually(draft)
    return Member(member_id, name, email)


async def published_colleague(stack, name: str) -> Member:  # type: ignore[no-untyped-def]
    """A colleague in the NHS who has filled in and published their profile (through the API)."""
    member = await invite(stack, name)
    own = {"Authorization": f"Bearer {await stack.token(member.member_id)}"}
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=10) as client:
        changed = await client.patch(
            "/api/directory/profiles/me",
            json={
                "job_title": "Chief Executive",
                "sector": "nhs_health",
                "region": "north_west",
                "email": member.email,
                "expertise": ["digital-transformation"],
            },
            headers=own,
        )
        assert changed.status_code == 200, changed.text
        published = await client.post("/api/directory/profiles/me/publish", headers=own)
        assert published.status_code == 200, published.text
    return member


def press_value(browser: Browser, name: str, value: str, index: int = 0) -> None:
    """Select a button known by its name and value (accept/decline in a table of requests)."""
    buttons = browser.driver.find_elements(
        By.CSS_SELECTOR, f'button[name="{name}"][value="{value}"]'
    )
    assert len(buttons) > index, f"no {value} button on {browser.path}"
    browser._then_wait_for_next_page(buttons[index].click)


def choose(browser: Browser, field_id: str) -> None:
    """Tick a checkbox or radio by its id, through its label, as a person would."""
    browser.driver.find_element(By.CSS_SELECTOR, f'label[for="{field_id}"]').click()


def choose_value(browser: Browser, name: str, value: str) -> None:
    """Choose the radio or checkbox `name` with this value (not by position: the directory
    may offer more levels)."""
    field = browser.driver.find_element(By.CSS_SELECTOR, f'input[name="{name}"][value="{value}"]')
    choose(browser, str(field.get_attribute("id")))


def directory_journey(  # type: ignore[no-untyped-def]
    browser: Browser, stack, alice: Member, bob: Member, tokens: dict[str, str]
) -> None:
    # Signing in from the invitation lands a new member on "complete your profile".
    browser.visit(link_in_mailbox_sync(stack.mailbox, alice.email, "identity.invitation"))
    browser.press("Sign in to Convene")
    assert browser.path == "/profile", browser.path
    assert browser.heading == "Complete your profile"
    assert "Draft" in browser.text
    assert "Add your job title." in browser.text
    browser.check("profile-draft")

    browser.press("Publish your profile")
    assert "There is a problem" in browser.text
    assert "Add your job title, sector and region before you publish" in browser.text
    browser.check("profile-publish-error")

    # The nudge links straight to the field.
    browser.follow("Add your job title.")
    assert browser.path == "/profile/edit#job_title", browser.path
    assert browser.heading == "Change your profile"
    browser.check("profile-edit")
    browser.fill("job_title", "Permanent Secretary")
    Select(browser.driver.find_element(By.ID, "organisation_id")).select_by_visible_text(
        "HM Treasury"
    )
    choose(browser, "sector")  # the first sector: central government
    Select(browser.driver.find_element(By.ID, "region")).select_by_visible_text("London")
    browser.fill(
        "bio",
        "I lead the Treasury's work on public spending and want to hear from leaders "
        "running large change programmes in health and local government.",
    )
    choose(browser, "expertise")  # the first tag
    browser.fill("languages", "English, Welsh")
    browser.fill("email", "not an email address")
    choose_value(browser, "visibility_email", "cohort")  # members of your cohorts
    browser.press("Save your profile")
    assert browser.heading == "Change your profile"
    assert "There is a problem" in browser.text
    assert "Enter an email address in the correct format" in browser.text
    assert browser.driver.find_element(By.ID, "job_title").get_attribute("value") == (
        "Permanent Secretary"
    ), "what the member typed is kept after an error"
    browser.check("profile-edit-errors")
    browser.fill("email", alice.email)
    browser.press("Save your profile")
    assert browser.path == "/profile", browser.path
    assert "Your profile has been saved" in browser.text
    assert "Permanent Secretary" in browser.text
    assert "Who can see this: Members of your programme cohorts" in browser.text
    assert "None" not in browser.text, "an empty field reads 'Not given'"
    assert "Upload a photo so others recognise you." in browser.text
    browser.check("profile-saved")

    # A photo: the wrong kind of file first.
    browser.follow("Upload a photo so others recognise you.")
    assert browser.heading == "Your photo"
    browser.check("photo")
    wrong = browser.profile + "/photo.png"
    with open(wrong, "w") as file:
        file.write("this is not an image")
    browser.driver.find_element(By.ID, "photo").send_keys(wrong)
    browser.press("Upload photo")
    assert "The selected file must be a JPG, PNG or WebP image" in browser.text
    browser.check("photo-wrong-type")
    right = browser.profile + "/me.png"
    with open(right, "wb") as image:
        image.write(png_bytes())
    browser.driver.find_element(By.ID, "photo").send_keys(right)
    browser.press("Upload photo")
    assert browser.path == "/profile"
    assert "Your photo has been uploaded" in browser.text
    assert browser.driver.find_element(By.CSS_SELECTOR, 'img[alt="Your photo"]')

    browser.press("Publish your profile")
    assert browser.heading == "Your profile"
    assert "Your profile is in the directory" in browser.text
    browser.check("profile-published")

    # Find a colleague in another sector: search, then a facet filter.
    browser.follow("Find a leader")
    assert browser.heading == "Find a leader"
    browser.check("search")
    surname = bob.name.split()[-1]
    browser.fill("q", surname)
    browser.press("Search")
    assert bob.name in browser.text
    assert "Leaders 1 to 1" in browser.text
    assert bob.email not in browser.text, "contact details are for connections only"
    browser.check("search-results")
    nhs = browser.driver.find_element(By.CSS_SELECTOR, 'input[name="sector"][value="nhs_health"]')
    label = browser.driver.find_element(By.CSS_SELECTOR, f'label[for="{nhs.get_attribute("id")}"]')
    assert label.text.strip() == "NHS and health (1)"
    choose(browser, str(nhs.get_attribute("id")))
    browser.press("Apply filters")
    assert "sector=nhs_health" in browser.path
    assert bob.name in browser.text
    browser.check("search-filtered")

    browser.follow(bob.name)
    assert browser.heading.startswith(bob.name)
    assert "Chief Executive" in browser.text
    assert bob.email not in browser.text
    browser.check("person")

    browser.press("Send a contact request")
    assert browser.heading == f"Why would you like to be in contact with {bob.name}?"
    browser.check("contact")
    browser.press("Send contact request")
    assert "There is a problem" in browser.text
    assert "Enter why you would like to be in contact" in browser.text
    browser.check("contact-error")
    browser.fill("reason", "I would like to compare notes on our digital programmes.")
    browser.press("Send contact request")
    assert browser.path == "/contact-requests", browser.path
    assert f"Contact request sent to {bob.name}" in browser.text
    assert "Waiting for an answer" in browser.text
    browser.check("contact-requests-sent")

    # The colleague accepts (their session in the same browser).
    browser.set_cookie("convene_session", tokens["bob"])
    browser.visit("/contact-requests")
    assert alice.name in browser.text
    assert "compare notes on our digital programmes" in browser.text
    browser.check("contact-requests-received")
    press_value(browser, "decision", "accept")
    assert f"You accepted {alice.name}'s contact request" in browser.text
    assert "Accepted" in browser.text
    browser.check("contact-requests-accepted")
    browser.visit("/profile/viewers")
    assert browser.heading == "Who has viewed your profile"
    assert alice.name in browser.text
    browser.check("viewers")

    # Now connected, Alice sees Bob's contact details.
    browser.set_cookie("convene_session", tokens["alice"])
    browser.visit(f"/directory/people/{bob.member_id}")
    assert "Connected" in browser.text
    assert bob.email in browser.text
    browser.check("person-connected")
    browser.follow("Report this profile as out of date")
    browser.check("report")
    browser.press("Send report")
    assert "Select what is wrong with this profile" in browser.text
    browser.check("report-error")
    choose(browser, "kind")
    browser.press("Send report")
    assert f"Thank you. We have let {bob.name}" in browser.text
    browser.check("reported")

    # Alice names Bob as her delegate, then ends it.
    browser.press("Name as your delegate")
    assert browser.heading == "Your delegates"
    assert f"{bob.name} is now your delegate" in browser.text
    browser.check("delegates")
    remove = browser.driver.find_element(
        By.CSS_SELECTOR, f'form[action="/profile/delegates/{bob.member_id}/remove"] button'
    )
    assert remove.text.startswith("Remove")
    browser._then_wait_for_next_page(remove.click)
    assert "The delegation has ended" in browser.text
    assert "You have no delegates." in browser.text


async def test_a_new_member_completes_their_profile_and_connects_across_sectors(
    stack, browser
) -> None:
    alice = await invite(stack, f"Alice {surname().capitalize()}")
    bob = await published_colleague(stack, f"Bob {surname().capitalize()}")
    tokens = {
        "alice": await stack.token(alice.member_id),
        "bob": await stack.token(bob.member_id),
    }
    await asyncio.to_thread(directory_journey, browser, stack, alice, bob, tokens)

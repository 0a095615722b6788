"""The web session: cookies set by signing in, refreshed when the access token has expired,
forms refused without their CSRF token, and signing out ending the session at identity."""

from __future__ import annotations

import re

import httpx
from support import link_in_mailbox, unique_email


def csrf_of(page: httpx.Response) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, "the form has no CSRF token"
    return match.group(1)


async def signed_in_browser(stack) -> tuple[httpx.AsyncClient, str]:  # type: ignore[no-untyped-def]
    admin = {"Authorization": f"Bearer {await stack.admin_token()}"}
    email = unique_email("rosalind")
    client = httpx.AsyncClient(base_url=stack.gateway_url, timeout=10)
    created = await client.post(
        "/api/identity/invitations",
        json={"full_name": "Rosalind Franklin", "email": email, "organisation": "UKRI"},
        headers=admin,
    )
    assert created.status_code == 201
    token = await link_in_mailbox(stack.mailbox, email, template="identity.invitation")
    page = await client.get("/sign-in/confirm", params={"token": token})
    done = await client.post("/sign-in/confirm", data={"token": token, "csrf_token": csrf_of(page)})
    assert done.status_code == 303
    cookies = done.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("convene_session="))
    refresh = next(c for c in cookies if c.startswith("convene_refresh="))
    for attribute in ("HttpOnly", "SameSite=lax", "Path=/"):
        assert attribute in session
    for attribute in ("HttpOnly", "SameSite=strict", "Path=/"):
        assert attribute in refresh
    return client, email


async def test_an_expired_access_token_is_refreshed_and_both_cookies_rotate(stack) -> None:
    client, _ = await signed_in_browser(stack)
    try:
        old_refresh = client.cookies["convene_refresh"]
        client.cookies.delete("convene_session")  # as the browser does when Max-Age passes
        home = await client.get("/")
        assert home.status_code == 200
        assert "Welcome, Rosalind Franklin" in home.text
        rotated = home.headers.get_list("set-cookie")
        assert any(c.startswith("convene_session=") for c in rotated)
        assert any(c.startswith("convene_refresh=") for c in rotated)
        assert client.cookies["convene_refresh"] != old_refresh
        again = await client.get("/")
        assert "Welcome, Rosalind Franklin" in again.text
    finally:
        await client.aclose()


async def test_forms_without_the_csrf_token_are_refused(stack) -> None:
    client, _ = await signed_in_browser(stack)
    try:
        forged = await client.post("/sign-out", data={"csrf_token": "forged"})
        assert forged.status_code == 400
        still = await client.get("/")
        assert "Welcome, Rosalind Franklin" in still.text
    finally:
        await client.aclose()


async def test_signing_out_clears_the_cookies_and_ends_the_session_at_identity(stack) -> None:
    client, _ = await signed_in_browser(stack)
    try:
        refresh = client.cookies["convene_refresh"]
        page = await client.get("/sign-out")
        done = await client.post("/sign-out", data={"csrf_token": csrf_of(page)})
        assert done.status_code == 303
        assert done.headers["location"] == "/signed-out"
        assert "convene_session" not in client.cookies
        assert "convene_refresh" not in client.cookies
        reuse = await client.post("/api/identity/tokens/refresh", json={"refresh_token": refresh})
        assert reuse.status_code == 401
        home = await client.get("/")
        assert "Sign in" in home.text
        assert "Welcome" not in home.text
    finally:
        await client.aclose()


async def test_pages_for_members_send_visitors_to_sign_in_and_never_elsewhere(stack) -> None:
    member = await stack.token("00000000-0000-0000-0000-000000000001")
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=10) as client:
        visitor = await client.get("/admin/cohorts")
        assert visitor.status_code == 303
        assert visitor.headers["location"] == "/sign-in?next=/admin/cohorts"
        elsewhere = await client.get("/sign-in", params={"next": "//evil.example"})
        assert elsewhere.status_code == 200
        client.cookies.set("convene_session", member)
        not_admin = await client.get("/admin/cohorts", headers={"accept": "text/html"})
        assert not_admin.status_code == 403
        assert "You cannot see this page" in not_admin.text
        signed_in = await client.get("/sign-in", params={"next": "//evil.example"})
        assert signed_in.status_code == 303
        assert signed_in.headers["location"] == "/"

"""From invitation to signed-in member, and every way a link or session must be refused."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import text
from support import eventually, link_in_mailbox, unique_email


@pytest.fixture
async def client(stack):  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=10) as client:
        yield client


@pytest.fixture
async def admin(stack) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"Authorization": f"Bearer {await stack.admin_token()}"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def invite(client, admin, email: str, name: str = "Tom Ashworth") -> dict:  # type: ignore[no-untyped-def]
    response = await client.post(
        "/api/identity/invitations",
        json={"full_name": name, "email": email, "organisation": "Metropolitan Police Service"},
        headers=admin,
    )
    assert response.status_code == 201, response.text
    return response.json()


async def activated_member(client, admin, stack) -> tuple[str, dict]:  # type: ignore[no-untyped-def]
    email = unique_email("tom")
    await invite(client, admin, email)
    token = await link_in_mailbox(stack.mailbox, email, template="identity.invitation")
    redeemed = await client.post("/api/identity/sign-in/redeem", json={"token": token})
    assert redeemed.status_code == 200, redeemed.text
    return email, redeemed.json()


async def test_invitation_email_leads_to_an_active_member_who_can_use_other_services(
    client, admin, stack
) -> None:
    email = unique_email("tom")
    invitation = await invite(client, admin, email)
    token = await link_in_mailbox(stack.mailbox, email, template="identity.invitation")

    # Email scanners follow links: the link only shows a confirmation page, it redeems nothing.
    page = await client.get("/sign-in/confirm", params={"token": token})
    assert page.status_code == 200
    assert "Confirm you want to sign in" in page.text
    assert page.headers["cache-control"] == "no-store"

    redeemed = await client.post("/api/identity/sign-in/redeem", json={"token": token})
    assert redeemed.status_code == 200, redeemed.text
    tokens = redeemed.json()
    assert tokens["member_id"] == invitation["member_id"]
    assert tokens["token_type"] == "Bearer"
    assert 0 < tokens["expires_in"] <= 15 * 60

    me = (await client.get("/api/identity/me", headers=bearer(tokens["access_token"]))).json()
    assert me["status"] == "active"
    assert me["roles"] == ["member"]
    assert me["email"] == email

    async def own_draft_profile() -> bool:
        response = await client.get(
            f"/api/directory/profiles/{tokens['member_id']}", headers=bearer(tokens["access_token"])
        )
        return response.status_code == 200

    await eventually(own_draft_profile)


async def test_the_confirmation_form_signs_a_person_in_with_a_session_cookie(
    client, admin, stack
) -> None:
    email = unique_email("web")
    await invite(client, admin, email)
    token = await link_in_mailbox(stack.mailbox, email, template="identity.invitation")
    page = await client.get("/sign-in/confirm", params={"token": token})
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    forged = await client.post("/sign-in/confirm", data={"token": token, "csrf_token": "wrong"})
    assert forged.status_code == 400
    done = await client.post("/sign-in/confirm", data={"token": token, "csrf_token": csrf})
    assert done.status_code == 303
    assert "convene_session" in done.cookies


async def test_a_link_works_once_and_not_after_it_expires(client, admin, stack) -> None:
    email, _ = await activated_member(client, admin, stack)
    email_two = unique_email("late")
    await invite(client, admin, email_two)
    token = await link_in_mailbox(stack.mailbox, email_two, template="identity.invitation")
    async with stack.runtime("identity").engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE invitations SET expires_at = now() - interval '1 minute' WHERE email = :e"
            ),
            {"e": email_two},
        )
    expired = await client.post("/api/identity/sign-in/redeem", json={"token": token})
    assert expired.status_code == 400
    assert expired.json()["title"] == "Link not valid"

    first_link = await link_in_mailbox(stack.mailbox, email, template="identity.invitation")
    reused = await client.post("/api/identity/sign-in/redeem", json={"token": first_link})
    assert reused.status_code == 400
    unknown = await client.post("/api/identity/sign-in/redeem", json={"token": "x" * 43})
    assert unknown.json() == reused.json()


async def test_members_sign_in_again_by_email_link_and_strangers_learn_nothing(
    client, admin, stack
) -> None:
    email, _ = await activated_member(client, admin, stack)
    known = await client.post("/api/identity/sign-in", json={"email": email.upper()})
    stranger = await client.post("/api/identity/sign-in", json={"email": unique_email("nobody")})
    assert known.status_code == stranger.status_code == 202
    assert known.json() == stranger.json()

    token = await link_in_mailbox(stack.mailbox, email, template="identity.sign_in_link")
    signed_in = await client.post("/api/identity/sign-in/redeem", json={"token": token})
    assert signed_in.status_code == 200
    again = await client.post("/api/identity/sign-in/redeem", json={"token": token})
    assert again.status_code == 400


async def test_too_many_link_requests_for_one_address_get_429_with_retry_after(client) -> None:
    email = unique_email("flood")
    answers = [
        (await client.post("/api/identity/sign-in", json={"email": email})) for _ in range(6)
    ]
    assert [a.status_code for a in answers[:5]] == [202] * 5
    assert answers[5].status_code == 429
    assert int(answers[5].headers["retry-after"]) > 0


async def test_refresh_rotates_and_a_replayed_refresh_token_ends_the_session(
    client, admin, stack
) -> None:
    _, tokens = await activated_member(client, admin, stack)
    first = tokens["refresh_token"]
    rotated = await client.post("/api/identity/tokens/refresh", json={"refresh_token": first})
    assert rotated.status_code == 200
    second = rotated.json()["refresh_token"]
    assert second != first

    replay = await client.post("/api/identity/tokens/refresh", json={"refresh_token": first})
    assert replay.status_code == 401
    assert "reused" in replay.json()["detail"]
    # The whole family is revoked: the thief's or the member's newer token is dead too.
    after = await client.post("/api/identity/tokens/refresh", json={"refresh_token": second})
    assert after.status_code == 401


async def test_the_refresh_cookie_works_without_a_body_and_sign_out_ends_it(
    client, admin, stack
) -> None:
    _, tokens = await activated_member(client, admin, stack)
    assert client.cookies.get("convene_refresh") == tokens["refresh_token"]
    refreshed = await client.post("/api/identity/tokens/refresh")
    assert refreshed.status_code == 200
    signed_out = await client.post("/api/identity/sign-out")
    assert signed_out.status_code == 204
    latest = refreshed.json()["refresh_token"]
    ended = await client.post("/api/identity/tokens/refresh", json={"refresh_token": latest})
    assert ended.status_code == 401


ADMIN_ENDPOINTS = [
    ("POST", "/api/identity/invitations"),
    ("POST", "/api/identity/invitations/bulk"),
    ("GET", "/api/identity/invitations"),
    ("POST", f"/api/identity/invitations/{uuid.uuid4()}/revoke"),
    ("GET", "/api/identity/members"),
    ("GET", f"/api/identity/members/{uuid.uuid4()}"),
    ("PUT", f"/api/identity/members/{uuid.uuid4()}/roles"),
    ("POST", f"/api/identity/members/{uuid.uuid4()}/deactivate"),
    ("POST", f"/api/identity/members/{uuid.uuid4()}/erasure"),
    ("GET", "/api/identity/audit"),
    ("POST", "/api/identity/keys/rotate"),
]


@pytest.mark.parametrize(("method", "path"), ADMIN_ENDPOINTS)
async def test_admin_endpoints_refuse_members_who_are_not_admins(
    client, stack, method, path
) -> None:
    member = bearer(await stack.token(str(uuid.uuid4()), ("member", "curator")))
    response = await client.request(method, path, headers=member)
    assert response.status_code == 403, response.text
    anonymous = await client.request(method, path)
    assert anonymous.status_code == 401


async def test_role_changes_are_audited_and_reach_the_next_token(client, admin, stack) -> None:
    _, tokens = await activated_member(client, admin, stack)
    member_id = tokens["member_id"]
    changed = await client.put(
        f"/api/identity/members/{member_id}/roles", json={"roles": ["curator"]}, headers=admin
    )
    assert changed.status_code == 200
    assert changed.json()["roles"] == ["curator", "member"]
    refreshed = await client.post(
        "/api/identity/tokens/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    me = await client.get("/api/identity/me", headers=bearer(refreshed.json()["access_token"]))
    assert me.json()["roles"] == ["curator", "member"]
    audit = (
        await client.get("/api/identity/audit", params={"member_id": member_id}, headers=admin)
    ).json()
    change = next(e for e in audit["items"] if e["action"] == "member.roles_changed")
    assert change["details"] == {"before": ["member"], "after": ["curator", "member"]}
    bad = await client.put(
        f"/api/identity/members/{member_id}/roles",
        json={"roles": ["department_subscriber"]},
        headers=admin,
    )
    assert bad.status_code == 422


async def test_a_deactivated_member_cannot_refresh_or_get_a_link(client, admin, stack) -> None:
    email, tokens = await activated_member(client, admin, stack)
    done = await client.post(
        f"/api/identity/members/{tokens['member_id']}/deactivate", headers=admin
    )
    assert done.json()["status"] == "deactivated"
    refused = await client.post(
        "/api/identity/tokens/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert refused.status_code == 401
    assert (await client.post("/api/identity/sign-in", json={"email": email})).status_code == 202
    async with stack.runtime("identity").engine.connect() as conn:
        queued = await conn.scalar(
            text("SELECT count(*) FROM mail_outbox WHERE to_address = :e AND template = :t"),
            {"e": email, "t": "identity.sign_in_link"},
        )
    assert queued == 0


async def test_erasure_removes_the_person_here_and_in_the_directory(client, admin, stack) -> None:
    email, tokens = await activated_member(client, admin, stack)
    member_id = tokens["member_id"]
    profile = f"/api/directory/profiles/{member_id}"

    async def has_profile() -> bool:
        return (await client.get(profile, headers=admin)).status_code == 200

    await eventually(has_profile)
    erased = await client.post(f"/api/identity/members/{member_id}/erasure", headers=admin)
    assert erased.status_code == 200
    assert erased.json() | {"created_at": None, "activated_at": None} == {
        "id": member_id,
        "email": None,
        "full_name": None,
        "organisation": None,
        "status": "erased",
        "roles": [],
        "created_at": None,
        "activated_at": None,
    }

    async def profile_gone() -> bool:
        return (await client.get(profile, headers=admin)).status_code == 404

    await eventually(profile_gone)
    # The address is free again: the person could be invited afresh one day.
    assert (await client.post("/api/identity/sign-in", json={"email": email})).status_code == 202


async def test_invitations_outside_the_allow_list_need_an_audited_override(client, admin) -> None:
    email = f"sam-{uuid.uuid4().hex[:8]}@example.com"
    body = {"full_name": "Sam Contractor", "email": email, "organisation": "Consultancy"}
    refused = await client.post("/api/identity/invitations", json=body, headers=admin)
    assert refused.status_code == 422
    assert refused.json()["title"] == "Email domain not allowed"
    allowed = await client.post(
        "/api/identity/invitations",
        json=body | {"override_reason": "Seconded to the Cabinet Office for the programme"},
        headers=admin,
    )
    assert allowed.status_code == 201
    audit = (await client.get("/api/identity/audit", params={"limit": 20}, headers=admin)).json()
    assert any(
        e["action"] == "invitation.domain_override"
        and e["details"]["email_domain"] == "example.com"
        for e in audit["items"]
    )


async def test_the_audit_log_cannot_be_rewritten(stack) -> None:
    from sqlalchemy.exc import DBAPIError

    async with stack.runtime("identity").engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO audit_log (actor, action) VALUES ('test', 'test.entry')")
        )
    with pytest.raises(DBAPIError, match="append-only"):
        async with stack.runtime("identity").engine.begin() as conn:
            await conn.execute(text("UPDATE audit_log SET actor = 'someone else'"))
    with pytest.raises(DBAPIError, match="append-only"):
        async with stack.runtime("identity").engine.begin() as conn:
            await conn.execute(text("DELETE FROM audit_log"))


async def test_bulk_invitation_accepts_good_rows_and_reports_bad_ones(client, admin) -> None:
    good_one, good_two, taken = unique_email("c1"), unique_email("c2"), unique_email("c3")
    await client.post(
        "/api/identity/invitations",
        json={"full_name": "Already Here", "email": taken, "organisation": "HMT"},
        headers=admin,
    )
    csv = (
        "full_name,email,organisation\n"
        f"Ada One,{good_one},HM Treasury\n"
        "No Email,,Home Office\n"
        f"Ada Again,{good_one},HM Treasury\n"
        f"Already Here,{taken},HMT\n"
        "Outsider,someone@gmail.com,Nowhere\n"
        f"Bea Two,{good_two},Ministry of Defence\n"
    )
    response = await client.post(
        "/api/identity/invitations/bulk",
        content=csv.encode(),
        headers=admin | {"content-type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["invited"], result["failed"]) == (2, 4)
    by_row = {row["row"]: row for row in result["rows"]}
    assert by_row[2]["status"] == by_row[7]["status"] == "invited"
    assert "email" in by_row[3]["errors"][0]
    assert "earlier in the file" in by_row[4]["errors"][0]
    assert "already invited" in by_row[5]["errors"][0]
    assert "allow-list" in by_row[6]["errors"][0]
    listed = (
        await client.get("/api/identity/invitations", params={"limit": 10}, headers=admin)
    ).json()
    assert {good_one, good_two} <= {item["email"] for item in listed["items"]}
    assert "someone@gmail.com" not in {item["email"] for item in listed["items"]}


async def test_a_csv_without_the_right_columns_is_refused(client, admin) -> None:
    response = await client.post(
        "/api/identity/invitations/bulk",
        content=b"name,mail\nA,a@hmt.gov.uk\n",
        headers=admin | {"content-type": "text/csv"},
    )
    assert response.status_code == 422
    assert "full_name,email,organisation" in response.json()["detail"]


async def test_tokens_signed_before_a_key_rotation_stay_valid(client, admin, stack) -> None:
    _, tokens = await activated_member(client, admin, stack)
    rotated = await client.post("/api/identity/keys/rotate", headers=admin)
    assert rotated.status_code == 201
    still = await client.get("/api/identity/me", headers=bearer(tokens["access_token"]))
    assert still.status_code == 200
    jwks = (await client.get("/api/identity/.well-known/jwks.json")).json()
    assert rotated.json()["kid"] in {key["kid"] for key in jwks["keys"]}


async def test_other_services_accept_tokens_throughout_a_key_rotation(client, admin, stack) -> None:
    import asyncio

    import jwt

    rotated = await client.post("/api/identity/keys/rotate", headers=admin)
    new_kid = rotated.json()["kid"]
    seen: set[str] = set()
    for _ in range(5):  # 20 s: past the 15 s before the new key starts signing
        token = await stack.admin_token()
        seen.add(jwt.get_unverified_header(token)["kid"])
        answer = await client.get(
            "/api/content/topics", headers={"Authorization": f"Bearer {token}"}
        )
        assert answer.status_code == 200, answer.text
        await asyncio.sleep(4)
    assert new_kid in seen

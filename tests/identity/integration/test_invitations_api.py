"""Invitations through the gateway: who may invite, what is validated, how lists page."""

from __future__ import annotations

import uuid

import httpx
import pytest
from support import unique_email


@pytest.fixture
async def client(stack):  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=10) as client:
        yield client


@pytest.fixture
async def admin(stack) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"Authorization": f"Bearer {await stack.admin_token()}"}


def invitation(email: str | None = None) -> dict[str, str]:
    return {
        "full_name": "Priya Raman",
        "email": email or unique_email("priya"),
        "organisation": "NHS England",
    }


async def test_inviting_needs_a_signed_in_caller(client) -> None:
    response = await client.post("/api/identity/invitations", json=invitation())
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_a_forged_token_is_stopped_at_the_gateway(client) -> None:
    response = await client.post(
        "/api/identity/invitations",
        json=invitation(),
        headers={"Authorization": "Bearer abc.def.ghi"},
    )
    assert response.status_code == 401
    assert response.json()["title"] == "Unauthorised"


async def test_members_who_are_not_programme_admins_cannot_invite(client, stack) -> None:
    member = {
        "Authorization": f"Bearer {await stack.token(str(uuid.uuid4()), ('member', 'curator'))}"
    }
    for method, path in (
        ("POST", "/api/identity/invitations"),
        ("GET", "/api/identity/invitations"),
    ):
        response = await client.request(method, path, json=invitation(), headers=member)
        assert response.status_code == 403, (method, path)
        assert "programme_admin" in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"full_name": "A", "email": "not-an-email", "organisation": "HMT"}, "email"),
        ({"full_name": "", "email": "a@hmt.gov.uk", "organisation": "HMT"}, "full_name"),
        ({"full_name": "A", "email": "a@hmt.gov.uk"}, "organisation"),
        (
            {"full_name": "A", "email": "a@hmt.gov.uk", "organisation": "HMT", "role": "admin"},
            "role",
        ),
    ],
)
async def test_bad_input_gets_a_problem_naming_the_field(client, admin, body, field) -> None:
    response = await client.post("/api/identity/invitations", json=body, headers=admin)
    assert response.status_code == 422
    problem = response.json()
    assert problem["title"] == "Invalid request"
    assert any(field in error["location"] for error in problem["errors"])


async def test_a_body_that_is_not_json_is_a_client_error(client, admin) -> None:
    response = await client.post(
        "/api/identity/invitations",
        content=b"{not json",
        headers={**admin, "content-type": "application/json"},
    )
    assert response.status_code == 422


async def test_the_same_person_cannot_be_invited_twice_whatever_the_case(client, admin) -> None:
    email = unique_email("helen")
    first = await client.post("/api/identity/invitations", json=invitation(email), headers=admin)
    assert first.status_code == 201
    again = await client.post(
        "/api/identity/invitations", json=invitation(email.upper()), headers=admin
    )
    assert again.status_code == 409
    assert again.json()["title"] == "Already invited"


async def test_invitations_are_listed_newest_first_in_stable_pages(client, admin) -> None:
    emails = [unique_email(f"page{i}") for i in range(3)]
    for email in emails:
        assert (
            await client.post("/api/identity/invitations", json=invitation(email), headers=admin)
        ).status_code == 201
    first = (
        await client.get("/api/identity/invitations", params={"limit": 2}, headers=admin)
    ).json()
    assert [item["email"] for item in first["items"]] == [emails[2], emails[1]]
    second = (
        await client.get(
            "/api/identity/invitations",
            params={"limit": 2, "cursor": first["next_cursor"]},
            headers=admin,
        )
    ).json()
    assert second["items"][0]["email"] == emails[0]


async def test_a_bad_cursor_or_page_size_is_a_client_error(client, admin) -> None:
    assert (
        await client.get("/api/identity/invitations", params={"cursor": "%%%"}, headers=admin)
    ).status_code == 400
    assert (
        await client.get("/api/identity/invitations", params={"limit": 0}, headers=admin)
    ).status_code == 422
    assert (
        await client.get("/api/identity/invitations", params={"limit": 1000}, headers=admin)
    ).status_code == 422


async def test_the_jwks_is_public_and_verifies_issued_tokens(client, stack) -> None:
    import jwt

    jwks = (await client.get("/api/identity/.well-known/jwks.json")).json()
    token = await stack.admin_token()
    key = jwt.PyJWKSet.from_dict(jwks)[jwt.get_unverified_header(token)["kid"]]
    claims = jwt.decode(token, key.key, algorithms=["RS256"], audience="convene")
    assert "programme_admin" in claims["roles"]

"""Other departments' machine clients: scopes limited to public events, client credentials."""

from __future__ import annotations

import uuid

import httpx
import pytest

from contracts.registry import public_specs


@pytest.fixture
async def client(stack):  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=10) as client:
        yield client


@pytest.fixture
async def admin(stack) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"Authorization": f"Bearer {await stack.admin_token()}"}


async def test_scopes_must_name_public_event_types(client, admin) -> None:
    response = await client.post(
        "/api/identity/service-accounts",
        json={
            "name": "DfE platform",
            "department": "Department for Education",
            "scopes": ["events:identity.member.invited.v1"],
        },
        headers=admin,
    )
    assert response.status_code == 422
    assert response.json()["title"] == "Unknown scopes"
    assert "identity.member.invited.v1" in response.json()["detail"]


async def test_every_public_event_type_is_a_scope_and_nothing_else_is(client, admin) -> None:
    """The scopes follow the registry's public events (topics `public.*`); the internal twin of
    a public event, or a type nobody publishes, is a 422 problem, never a 500."""
    every_public = [f"events:{spec.event_type}" for spec in public_specs()]
    created = await client.post(
        "/api/identity/service-accounts",
        json={"name": "GDS feeds", "department": "Cabinet Office", "scopes": every_public},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    assert set(created.json()["scopes"]) == set(every_public)
    for wrong in ("events:directory.profile.updated.v1", "events:public.directory.profile.sold.v1"):
        refused = await client.put(
            f"/api/identity/service-accounts/{created.json()['id']}/scopes",
            json={"scopes": [wrong]},
            headers=admin,
        )
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"] == "application/problem+json"


async def test_the_token_endpoint_speaks_oauth_errors(client) -> None:
    wrong_grant = await client.post("/api/identity/oauth/token", data={"grant_type": "password"})
    assert wrong_grant.status_code == 400
    assert wrong_grant.json()["error"] == "unsupported_grant_type"
    unknown = await client.post(
        "/api/identity/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": str(uuid.uuid4()),
            "client_secret": "x" * 40,
        },
    )
    assert unknown.status_code == 401
    assert unknown.json()["error"] == "invalid_client"
    missing = await client.post(
        "/api/identity/oauth/token", data={"grant_type": "client_credentials"}
    )
    assert missing.json()["error"] == "invalid_client"


async def test_only_programme_admins_manage_service_accounts(client, stack) -> None:
    member = {"Authorization": f"Bearer {await stack.token(str(uuid.uuid4()))}"}
    account = f"/api/identity/service-accounts/{uuid.uuid4()}"
    for method, path in (
        ("POST", "/api/identity/service-accounts"),
        ("GET", "/api/identity/service-accounts"),
        ("POST", f"{account}/rotate"),
        ("PUT", f"{account}/scopes"),
        ("POST", f"{account}/revoke"),
    ):
        assert (await client.request(method, path, headers=member)).status_code == 403, path


REPORTS = "events:feedback.campaign.report_published.v1"
FOLLOW_UPS = "events:feedback.campaign.follow_up_posted.v1"


async def new_account(client, admin, scopes: list[str]) -> dict:  # type: ignore[no-untyped-def]
    response = await client.post(
        "/api/identity/service-accounts",
        json={"name": "No10 data", "department": "Prime Minister's Office", "scopes": scopes},
        headers=admin,
    )
    assert response.status_code == 201, response.text
    return response.json()


async def token_for(client, client_id: str, secret: str, **extra: str) -> httpx.Response:  # type: ignore[no-untyped-def]
    return await client.post(
        "/api/identity/oauth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
        | extra,
    )


async def test_a_department_gets_a_token_naming_only_its_public_scopes(
    client, admin, stack
) -> None:
    account = await new_account(client, admin, [REPORTS, FOLLOW_UPS])
    assert len(account["client_secret"]) >= 40
    issued = await token_for(client, account["id"], account["client_secret"])
    assert issued.status_code == 200, issued.text
    body = issued.json()
    assert set(body["scope"].split()) == {REPORTS, FOLLOW_UPS}
    principal = await stack.runtime("identity").token_verifier.verify(body["access_token"])
    assert principal.roles == {"department_subscriber"}
    assert principal.subject == f"service-account:{account['id']}"

    narrowed = await token_for(client, account["id"], account["client_secret"], scope=REPORTS)
    assert narrowed.json()["scope"] == REPORTS
    greedy = await token_for(
        client, account["id"], account["client_secret"], scope="events:identity.member.erased.v1"
    )
    assert greedy.status_code == 400
    assert greedy.json()["error"] == "invalid_scope"

    basic = await client.post(
        "/api/identity/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(account["id"], account["client_secret"]),
    )
    assert basic.status_code == 200


async def test_rotation_keeps_the_old_secret_for_a_while_and_revoking_ends_it(
    client, admin
) -> None:
    account = await new_account(client, admin, [REPORTS])
    rotated = await client.post(
        f"/api/identity/service-accounts/{account['id']}/rotate", headers=admin
    )
    assert rotated.status_code == 200
    new_secret = rotated.json()["client_secret"]
    assert new_secret != account["client_secret"]
    assert rotated.json()["previous_valid_until"] is not None
    assert (await token_for(client, account["id"], account["client_secret"])).status_code == 200
    assert (await token_for(client, account["id"], new_secret)).status_code == 200
    assert (await token_for(client, account["id"], "wrong" * 10)).status_code == 401

    revoked = await client.post(
        f"/api/identity/service-accounts/{account['id']}/revoke", headers=admin
    )
    assert revoked.json()["revoked_at"] is not None
    assert (await token_for(client, account["id"], new_secret)).status_code == 401
    listed = (await client.get("/api/identity/service-accounts", headers=admin)).json()
    assert "client_secret" not in next(a for a in listed if a["id"] == account["id"])

"""Other departments' machine clients: scopes limited to public events, client credentials."""

from __future__ import annotations

import uuid

import httpx
import pytest


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

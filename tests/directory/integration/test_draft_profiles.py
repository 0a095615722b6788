"""Draft profiles made from invitations are private until their member publishes them."""

from __future__ import annotations

import uuid

import httpx
from support import eventually, unique_email


async def test_a_draft_is_seen_by_its_member_and_admins_only(stack) -> None:
    admin = {"Authorization": f"Bearer {await stack.admin_token()}"}
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=10) as client:
        created = await client.post(
            "/api/identity/invitations",
            json={
                "full_name": "Colin MacLeod",
                "email": unique_email("colin"),
                "organisation": "Scottish Government",
            },
            headers=admin,
        )
        member_id = created.json()["member_id"]
        path = f"/api/directory/profiles/{member_id}"

        async def visible_to_admin() -> bool:
            return (await client.get(path, headers=admin)).status_code == 200

        await eventually(visible_to_admin)
        owner = {"Authorization": f"Bearer {await stack.token(member_id)}"}
        stranger = {"Authorization": f"Bearer {await stack.token(str(uuid.uuid4()))}"}
        assert (await client.get(path, headers=owner)).json()["full_name"] == "Colin MacLeod"
        hidden = await client.get(path, headers=stranger)
        assert hidden.status_code == 404
        assert (await client.get(path)).status_code == 401


async def test_a_malformed_profile_id_is_a_client_error(stack) -> None:
    admin = {"Authorization": f"Bearer {await stack.admin_token()}"}
    async with httpx.AsyncClient(base_url=stack.gateway_url) as client:
        response = await client.get("/api/directory/profiles/not-a-uuid", headers=admin)
    assert response.status_code == 422

"""Sector and region for breakdowns come from the directory's profile events."""

from __future__ import annotations

import httpx
from sqlalchemy import text
from support import eventually, link_in_mailbox, unique_email


async def test_a_published_profile_gives_feedback_the_members_sector_and_region(stack) -> None:
    admin = {"Authorization": f"Bearer {await stack.admin_token()}"}
    email = unique_email("projection")
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=10) as client:
        invited = await client.post(
            "/api/identity/invitations",
            json={"full_name": "Nia Evans", "email": email, "organisation": "Cardiff Council"},
            headers=admin,
        )
        member_id = invited.json()["member_id"]
        token = await link_in_mailbox(stack.mailbox, email, template="identity.invitation")
        tokens = (await client.post("/api/identity/sign-in/redeem", json={"token": token})).json()
        member = {"Authorization": f"Bearer {tokens['access_token']}"}

        async def draft_ready() -> bool:
            return (
                await client.get("/api/directory/profiles/me", headers=member)
            ).status_code == 200

        await eventually(draft_ready)
        edited = await client.patch(
            "/api/directory/profiles/me",
            json={"job_title": "Chief Executive", "sector": "local_government", "region": "wales"},
            headers=member,
        )
        assert edited.status_code == 200, edited.text
        published = await client.post("/api/directory/profiles/me/publish", headers=member)
        assert published.status_code == 200, published.text

    async def projected() -> tuple[str, str] | None:
        async with stack.runtime("feedback").engine.connect() as conn:
            row = (
                await conn.execute(
                    text("SELECT sector, region FROM members WHERE member_id = :m"),
                    {"m": member_id},
                )
            ).first()
        return (row[0], row[1]) if row is not None and row[0] is not None else None

    assert await eventually(projected) == ("local_government", "wales")

"""Profiles: owners edit and publish, others read, completeness nudges, bad input is a 4xx."""

from __future__ import annotations

import uuid

import httpx
import pytest
from directory_support import admin_headers, bearer, draft_member, listed_member


@pytest.fixture
async def client(stack):  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=15) as client:
        yield client


async def _organisation_id(client, headers, name: str) -> str:  # type: ignore[no-untyped-def]
    found = await client.get("/api/directory/organisations", params={"q": name}, headers=headers)
    assert found.status_code == 200, found.text
    return next(o["id"] for o in found.json()["items"] if o["name"] == name)


async def test_owner_fills_in_and_publishes_and_others_then_find_it(client, stack) -> None:
    owner = await draft_member(client, stack, "Priya Raman", "Home Office")
    reader = await draft_member(client, stack, "Owen Pritchard")
    draft = (await client.get("/api/directory/profiles/me", headers=owner.headers)).json()
    assert draft["status"] == "draft"
    assert draft["completeness"]["score"] == 0
    assert {m["item"] for m in draft["completeness"]["missing"]} >= {"job_title", "bio", "photo"}
    # Not published: other members cannot see it at all.
    assert (await client.get(owner.path, headers=reader.headers)).status_code == 404
    early = await client.post(f"{owner.path}/publish", headers=owner.headers)
    assert early.status_code == 422
    assert "job_title" in early.json()["detail"]

    home_office = await _organisation_id(client, owner.headers, "Home Office")
    patched = await client.patch(
        "/api/directory/profiles/me",
        json={
            "preferred_name": "Priya",
            "job_title": "Director General, Migration and Borders",
            "organisation_id": home_office,
            "sector": "central_government",
            "region": "london",
            "bio": "Leads the borders system end to end; previously ran HM Passport Office "
            "and a regional police change programme.",
            "expertise": ["major-projects", "national-security"],
            "languages": ["English", "Tamil"],
            "phone": "+44 20 7946 0000",
        },
        headers=owner.headers,
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["organisation"] == "Home Office"
    assert body["organisation_id"] == home_office
    assert [t["label"] for t in body["expertise"]] == ["Major projects", "National security"]
    assert body["completeness"]["score"] == 90
    assert [m["item"] for m in body["completeness"]["missing"]] == ["photo"]

    published = await client.post(f"{owner.path}/publish", headers=owner.headers)
    assert published.status_code == 200
    assert published.json()["status"] == "published"
    seen = (await client.get(owner.path, headers=reader.headers)).json()
    assert seen["job_title"] == "Director General, Migration and Borders"
    assert seen["bio"].startswith("Leads the borders system")  # bio defaults to members
    assert seen["phone"] is None  # contact details default to connections only
    assert seen["visibility"] is None
    assert seen["completeness"] is None


async def test_only_the_member_may_edit(client, stack) -> None:
    owner = await listed_member(client, stack, "Gareth Lloyd")
    other = await draft_member(client, stack, "Ruth Mensah")
    admin = await admin_headers(stack)
    for headers in (other.headers, admin):
        refused = await client.patch(owner.path, json={"job_title": "Imposter"}, headers=headers)
        assert refused.status_code == 403, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
    assert (await client.get(owner.path, headers=other.headers)).json()["job_title"] == (
        "Permanent Secretary"
    )


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"sector": "space_force"}, 422),
        ({"region": "atlantis"}, 422),
        ({"expertise": ["not-a-tag"]}, 422),
        ({"expertise": ["Bad Tag!"]}, 422),
        ({"organisation_id": "6f1c1c55-0000-4000-8000-000000000000"}, 422),
        ({"bio": "x" * 2001}, 422),
        ({"phone": "call me maybe"}, 422),
        ({"visibility": {"email": "everyone"}}, 422),
        ({"visibility": {"shoe_size": "members"}}, 422),
        ({"favourite_colour": "green"}, 422),
        ({"languages": ["English"] * 11}, 422),
    ],
)
async def test_bad_changes_are_refused_with_a_problem(client, stack, change, status) -> None:
    owner = await draft_member(client, stack, "Nia Roberts")
    response = await client.patch(owner.path, json=change, headers=owner.headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_huge_body_is_refused_before_it_is_read(client, stack) -> None:
    owner = await draft_member(client, stack, "Hamish Grant")
    response = await client.patch(
        owner.path, json={"bio": "word " * 400_000}, headers=owner.headers
    )
    assert response.status_code == 413


async def test_organisations_are_seeded_and_admins_add_more(client, stack) -> None:
    member = await draft_member(client, stack, "Ada Winters")
    everything = []
    cursor = None
    while True:
        params = {"limit": 50} | ({"cursor": cursor} if cursor else {})
        page = (
            await client.get("/api/directory/organisations", params=params, headers=member.headers)
        ).json()
        everything += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    names = {o["name"]: o for o in everything}
    assert len(everything) >= 100
    assert (
        names["HM Prison and Probation Service"]["parent_id"] == names["Ministry of Justice"]["id"]
    )
    assert names["Police Scotland"]["type"] == "police_force"

    typo = await client.get(
        "/api/directory/organisations", params={"q": "Chelmsfrod"}, headers=member.headers
    )
    assert "Chelmsford City Council" in [o["name"] for o in typo.json()["items"]]

    new = {"name": "Convene Test Authority", "type": "local_authority"}
    refused = await client.post("/api/directory/organisations", json=new, headers=member.headers)
    assert refused.status_code == 403
    admin = await admin_headers(stack)
    made = await client.post("/api/directory/organisations", json=new, headers=admin)
    if made.status_code == 409:  # a rerun against the same database
        return
    assert made.status_code == 201, made.text
    again = await client.post("/api/directory/organisations", json=new, headers=admin)
    assert again.status_code == 409
    bad = await client.post(
        "/api/directory/organisations", json={"name": "X", "type": "cult"}, headers=admin
    )
    assert bad.status_code == 422


async def test_admins_extend_the_expertise_list(client, stack) -> None:
    member = await draft_member(client, stack, "Fergus Doyle")
    admin = await admin_headers(stack)
    label = "Ports and borders " + member.member_id[:6]
    made = await client.post("/api/directory/expertise", json={"label": label}, headers=admin)
    assert made.status_code == 201, made.text
    slug = made.json()["slug"]
    tags = (await client.get("/api/directory/expertise", headers=member.headers)).json()
    assert {"slug": slug, "label": label} in tags
    used = await client.patch(member.path, json={"expertise": [slug]}, headers=member.headers)
    assert used.status_code == 200
    refused = await client.post(
        "/api/directory/expertise", json={"label": "Anything"}, headers=member.headers
    )
    assert refused.status_code == 403


async def test_unpublishing_takes_the_profile_out_of_sight(client, stack) -> None:
    owner = await listed_member(client, stack, "Imogen Hart")
    other = await draft_member(client, stack, "Kwame Asante")
    assert (await client.get(owner.path, headers=other.headers)).status_code == 200
    assert (await client.post(f"{owner.path}/unpublish", headers=owner.headers)).status_code == 200
    assert (await client.get(owner.path, headers=other.headers)).status_code == 404
    assert (await client.get(owner.path, headers=owner.headers)).json()["status"] == "draft"


async def test_a_token_without_a_member_id_cannot_have_a_profile(client, stack) -> None:
    service = bearer(await stack.token("department-x", ("department_subscriber",)))
    response = await client.get("/api/directory/profiles/me", headers=service)
    assert response.status_code == 403


async def test_service_accounts_cannot_read_members(client, stack) -> None:
    member = await listed_member(client, stack, "Sadie Private")
    service = bearer(await stack.token(str(uuid.uuid4()), ("department_subscriber",)))
    for path in (member.path, "/api/directory/profiles?q=Private", f"{member.path}/photo"):
        response = await client.get(path, headers=service)
        assert response.status_code == 403, path


async def test_the_vocabularies_state_the_limits_the_directory_enforces(client, stack) -> None:
    member = await draft_member(client, stack, "Sian Griffiths")
    limits = (await client.get("/api/directory/vocabularies", headers=member.headers)).json()[
        "limits"
    ]
    too_long = await client.patch(
        "/api/directory/profiles/me",
        json={"bio": "x" * (limits["bio_max_chars"] + 1)},
        headers=member.headers,
    )
    assert too_long.status_code == 422, too_long.text
    at_limit = await client.patch(
        "/api/directory/profiles/me",
        json={"bio": "Leads on housing. " * (limits["bio_max_chars"] // 18)},
        headers=member.headers,
    )
    assert at_limit.status_code == 200, at_limit.text
    assert limits["photo_max_bytes"] == 512_000
    assert (limits["reason_min_chars"], limits["reason_max_chars"]) == (10, 500)
    assert limits["report_note_max_chars"] == 1000

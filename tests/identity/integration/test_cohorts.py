"""Programme cohorts: admins create them and add members; every service hears about it."""

from __future__ import annotations

import uuid

import httpx
import pytest
from support import events_on_topic, unique, unique_email


@pytest.fixture
async def client(stack):  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=10) as client:
        yield client


@pytest.fixture
async def admin(stack) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"Authorization": f"Bearer {await stack.admin_token()}"}


async def new_cohort(client, admin, **overrides) -> dict:  # type: ignore[no-untyped-def]
    body = {
        "name": unique("Cohort"),
        "year": 2026,
        "starts_on": "2026-01-10",
        "ends_on": "2026-12-10",
    }
    response = await client.post("/api/identity/cohorts", json=body | overrides, headers=admin)
    assert response.status_code == 201, response.text
    return response.json()


async def invited_member(client, admin) -> str:  # type: ignore[no-untyped-def]
    response = await client.post(
        "/api/identity/invitations",
        json={
            "full_name": "Helen Barker",
            "email": unique_email("helen"),
            "organisation": "Manchester",
        },
        headers=admin,
    )
    return response.json()["member_id"]


async def test_admins_build_a_cohort_and_members_see_it_listed(client, admin, stack) -> None:
    cohort = await new_cohort(client, admin)
    member_id = await invited_member(client, admin)
    path = f"/api/identity/cohorts/{cohort['id']}/members/{member_id}"
    assert (await client.put(path, headers=admin)).status_code == 201
    assert (await client.put(path, headers=admin)).status_code == 200  # idempotent

    member = {"Authorization": f"Bearer {await stack.token(member_id)}"}
    listed = (await client.get("/api/identity/cohorts", headers=member)).json()
    mine = next(c for c in listed if c["id"] == cohort["id"])
    assert mine["members"] == 1
    assert mine["ended"] is False
    roster = (
        await client.get(f"/api/identity/cohorts/{cohort['id']}/members", headers=admin)
    ).json()
    assert [m["id"] for m in roster["items"]] == [member_id]

    assert (await client.delete(path, headers=admin)).status_code == 204
    assert (await client.delete(path, headers=admin)).status_code == 404


async def test_a_past_cohort_has_ended_so_its_members_are_alumni(client, admin) -> None:
    cohort = await new_cohort(
        client, admin, year=2020, starts_on="2020-01-01", ends_on="2020-12-01"
    )
    assert cohort["ended"] is True


async def test_cohort_changes_are_published_as_events(client, admin, stack) -> None:
    from sqlalchemy import text

    cohort = await new_cohort(client, admin)
    member_id = await invited_member(client, admin)
    await client.put(f"/api/identity/cohorts/{cohort['id']}/members/{member_id}", headers=admin)
    async with stack.runtime("identity").engine.connect() as conn:
        types = (
            (
                await conn.execute(
                    text("SELECT event_type FROM outbox WHERE key IN (:c, :m) ORDER BY id"),
                    {"c": cohort["id"], "m": member_id},
                )
            )
            .scalars()
            .all()
        )
    assert types == [
        "identity.cohort.created.v1",
        "public.identity.cohort.created.v1",
        "identity.member.invited.v1",
        "identity.member.cohort_joined.v1",
    ]


async def test_departments_hear_of_a_new_cohort_but_never_who_is_in_it(
    client, admin, stack
) -> None:
    cohort = await new_cohort(client, admin)
    member_id = await invited_member(client, admin)
    await client.put(f"/api/identity/cohorts/{cohort['id']}/members/{member_id}", headers=admin)
    bootstrap = stack.infrastructure.kafka_bootstrap
    [created] = await events_on_topic(bootstrap, "public.identity.cohort.v1", cohort["id"], want=1)
    assert created.type == "public.identity.cohort.created.v1"
    assert created.data == {
        "cohort_id": cohort["id"],
        "name": cohort["name"],
        "year": 2026,
        "starts_on": "2026-01-10",
        "ends_on": "2026-12-10",
    }
    joined = await events_on_topic(
        bootstrap, "public.identity.cohort.v1", member_id, want=1, timeout=3
    )
    assert joined == []


async def test_a_renamed_cohort_is_announced_once_inside_and_to_departments(
    client, admin, stack
) -> None:
    cohort = await new_cohort(client, admin)
    body = {
        "name": unique("Renamed"),
        "year": 2027,
        "starts_on": "2027-01-10",
        "ends_on": "2027-12-10",
    }
    path = f"/api/identity/cohorts/{cohort['id']}"
    renamed = await client.put(path, json=body, headers=admin)
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == body["name"]
    assert (await client.put(path, json=body, headers=admin)).status_code == 200  # no change
    bootstrap = stack.infrastructure.kafka_bootstrap
    public = await events_on_topic(bootstrap, "public.identity.cohort.v1", cohort["id"], want=3)
    assert [e.type for e in public] == [
        "public.identity.cohort.created.v1",
        "public.identity.cohort.updated.v1",
    ]
    assert public[1].data == {"cohort_id": cohort["id"], **body}
    internal = await events_on_topic(bootstrap, "identity.cohort.v1", cohort["id"], want=2)
    assert [e.type for e in internal] == [
        "identity.cohort.created.v1",
        "identity.cohort.updated.v1",
    ]

    listed = (await client.get("/api/identity/cohorts", headers=admin)).json()
    assert next(c for c in listed if c["id"] == cohort["id"])["name"] == body["name"]
    unknown = await client.put(f"/api/identity/cohorts/{uuid.uuid4()}", json=body, headers=admin)
    assert unknown.status_code == 404
    backwards = await client.put(
        path, json=body | {"starts_on": "2027-12-31", "ends_on": "2027-01-01"}, headers=admin
    )
    assert backwards.status_code == 409
    assert backwards.headers["content-type"] == "application/problem+json"
    other = await new_cohort(client, admin)
    taken = await client.put(path, json=body | {"name": other["name"]}, headers=admin)
    assert taken.status_code == 409


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"name": "X", "year": 2026, "starts_on": "2026-05-01", "ends_on": "2026-01-01"}, 409),
        ({"name": "X", "year": 1900, "starts_on": "2026-01-01", "ends_on": "2026-05-01"}, 422),
        ({"name": "", "year": 2026, "starts_on": "2026-01-01", "ends_on": "2026-05-01"}, 422),
        ({"name": "X", "year": 2026, "starts_on": "yesterday", "ends_on": "2026-05-01"}, 422),
    ],
)
async def test_bad_cohorts_are_refused_clearly(client, admin, body, status) -> None:
    response = await client.post("/api/identity/cohorts", json=body, headers=admin)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"


async def test_duplicate_names_and_unknown_ids_are_client_errors(client, admin) -> None:
    cohort = await new_cohort(client, admin)
    again = await client.post(
        "/api/identity/cohorts",
        json={
            "name": cohort["name"],
            "year": 2026,
            "starts_on": "2026-01-10",
            "ends_on": "2026-12-10",
        },
        headers=admin,
    )
    assert again.status_code == 409
    unknown = await client.put(
        f"/api/identity/cohorts/{uuid.uuid4()}/members/{uuid.uuid4()}", headers=admin
    )
    assert unknown.status_code == 404
    nobody = await client.put(
        f"/api/identity/cohorts/{cohort['id']}/members/{uuid.uuid4()}", headers=admin
    )
    assert nobody.status_code == 404


async def test_only_programme_admins_manage_cohorts(client, stack) -> None:
    member = {
        "Authorization": f"Bearer {await stack.token(str(uuid.uuid4()), ('member', 'curator'))}"
    }
    body = {"name": "Nope", "year": 2026, "starts_on": "2026-01-10", "ends_on": "2026-12-10"}
    assert (
        await client.post("/api/identity/cohorts", json=body, headers=member)
    ).status_code == 403
    cohort_path = f"/api/identity/cohorts/{uuid.uuid4()}"
    assert (await client.get(f"{cohort_path}/members", headers=member)).status_code == 403
    assert (
        await client.put(f"{cohort_path}/members/{uuid.uuid4()}", headers=member)
    ).status_code == 403
    assert (
        await client.delete(f"{cohort_path}/members/{uuid.uuid4()}", headers=member)
    ).status_code == 403

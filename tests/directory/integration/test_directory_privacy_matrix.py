"""The privacy matrix: every private field x every visibility x every viewer relation, over the
profile read, the photo, search results (fields and snippets) and the published events."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
import pytest
from directory_support import (
    Member,
    TopicRecorder,
    admin_headers,
    connect,
    draft_member,
    join_new_cohort,
    listed_member,
    tiny_png,
)
from support import eventually

VISIBILITIES = ("members", "cohort", "connections", "hidden")
FIELDS = ("email", "phone", "assistant", "bio", "photo")
RELATIONS = ("self", "delegate", "cohort", "connection", "member", "admin")


def expected_visible(visibility: str, relation: str) -> bool:
    if relation in ("self", "delegate"):
        return True
    return {
        "members": True,
        "cohort": relation == "cohort",
        "connections": relation == "connection",
        "hidden": False,
    }[visibility]


def field_in_read(body: dict, field: str) -> bool:
    if field == "photo":
        return body["photo_url"] is not None
    return body[field] is not None


@pytest.fixture
async def client(stack):  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=15) as client:
        yield client


async def test_every_field_visibility_and_relation_on_every_read_path(client, stack) -> None:
    mark = uuid.uuid4().hex[:8]
    surname = f"Quennell{mark}"
    bio_word = f"zebrafish{mark}"
    owner = await listed_member(
        client,
        stack,
        f"Ottoline {surname}",
        bio=f"Runs the {bio_word} programme across three regions and chairs the network.",
        email=f"ottoline.{mark}@example.gov.uk",
        phone="+44 20 7946 0001",
        assistant={"name": "Pat Office", "email": f"pa.{mark}@example.gov.uk", "phone": "0207"},
    )
    uploaded = await client.put(
        f"{owner.path}/photo",
        content=tiny_png(),
        headers=owner.headers | {"content-type": "image/png"},
    )
    assert uploaded.status_code == 200, uploaded.text

    viewers: dict[str, Member | dict[str, str]] = {"self": owner}
    viewers["delegate"] = await draft_member(client, stack, f"Dee Legate{mark}")
    named = await client.post(
        f"{owner.path}/delegates",
        json={"delegate_id": viewers["delegate"].member_id},  # type: ignore[union-attr]
        headers=owner.headers,
    )
    assert named.status_code == 204, named.text
    viewers["cohort"] = await draft_member(client, stack, f"Cora Hortmate{mark}")
    viewers["connection"] = await listed_member(client, stack, f"Connie Nection{mark}")
    await connect(client, viewers["connection"], owner)  # type: ignore[arg-type]
    viewers["member"] = await draft_member(client, stack, f"Mo Member{mark}")
    viewers["admin"] = await admin_headers(stack)

    await join_new_cohort(client, stack, mark, owner, viewers["cohort"])  # type: ignore[arg-type]

    def headers_of(relation: str) -> dict[str, str]:
        viewer = viewers[relation]
        return viewer.headers if isinstance(viewer, Member) else viewer

    failures: list[str] = []
    async with TopicRecorder(stack, "directory.profile.v1") as events:
        for visibility in VISIBILITIES:
            changed = await client.patch(
                owner.path,
                json={"visibility": dict.fromkeys(FIELDS, visibility)},
                headers=owner.headers,
            )
            assert changed.status_code == 200, changed.text
            updated_at = changed.json()["updated_at"]

            for relation in RELATIONS:
                headers = headers_of(relation)
                read = await client.get(owner.path, headers=headers)
                assert read.status_code == 200, (relation, read.text)
                results = await client.get(
                    "/api/directory/profiles", params={"q": surname}, headers=headers
                )
                assert results.status_code == 200, results.text
                cards = [c for c in results.json()["items"] if c["member_id"] == owner.member_id]
                assert len(cards) == 1, (relation, results.json())
                photo = await client.get(f"{owner.path}/photo", headers=headers)
                by_bio = await client.get(
                    "/api/directory/profiles", params={"q": bio_word}, headers=headers
                )
                bio_hits = [c for c in by_bio.json()["items"] if c["member_id"] == owner.member_id]

                for field in FIELDS:
                    want = expected_visible(visibility, relation)
                    got_read = field_in_read(read.json(), field)
                    if got_read != want:
                        failures.append(f"read {field}={visibility} to {relation}: {got_read}")
                    if field == "bio":
                        # Search indexes and quotes only what every member may see.
                        searchable = visibility == "members"
                        if bool(bio_hits) != searchable:
                            failures.append(f"search by bio={visibility} for {relation}")
                        if bio_hits and bio_word not in (bio_hits[0]["snippet"] or ""):
                            failures.append(f"snippet missing for bio={visibility}")
                        if cards[0]["snippet"] is not None:
                            failures.append(f"name search snippet leaked bio to {relation}")
                        continue
                    got_card = field_in_read(cards[0], field)
                    if got_card != want:
                        failures.append(f"search {field}={visibility} to {relation}: {got_card}")
                    if field == "photo" and (photo.status_code == 200) != want:
                        failures.append(f"photo={visibility} to {relation}: {photo.status_code}")
                if photo.status_code == 200:
                    assert photo.headers["content-type"] == "image/png"
                    assert photo.content == tiny_png()

            async def event_for_change():  # type: ignore[no-untyped-def]
                return [
                    e
                    for e in events.of("directory.profile.updated.v1", owner.member_id)
                    if datetime.fromisoformat(e.data["updated_at"])
                    == datetime.fromisoformat(updated_at).astimezone(UTC)
                ]

            data = (await eventually(event_for_change))[-1].data
            in_event = {
                "email": data["email"] is not None,
                "phone": data["phone"] is not None,
                "assistant": any(
                    data[k] is not None
                    for k in ("assistant_name", "assistant_email", "assistant_phone")
                ),
                "bio": data["bio"] is not None,
                "photo": data["has_photo"],
            }
            for field, present in in_event.items():
                if present != (visibility == "members"):
                    failures.append(f"event {field}={visibility}: {present}")
            assert data["full_name"] == owner.full_name
    assert failures == []

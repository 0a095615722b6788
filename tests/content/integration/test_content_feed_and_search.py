"""The personalised feed and search, through the gateway: ranking, reasons, audience, paging."""

from __future__ import annotations

import uuid

from content_support import article, publish
from support import eventually

from contracts.events.identity import CohortCreatedV1, MemberJoinedCohortV1


async def feed_titles(client, headers, **params) -> list[str]:  # type: ignore[no-untyped-def]
    response = await client.get("/feed", params={"limit": 100, **params}, headers=headers)
    assert response.status_code == 200, response.text
    return [entry["item"]["title"] for entry in response.json()["items"]]


async def test_a_local_government_leader_sees_the_local_government_item_first_with_the_reason(
    client, people
) -> None:
    tag = uuid.uuid4().hex[:6]
    local = await publish(
        client, people, article(title=f"Council finances {tag}", sectors=["Local Government"])
    )
    await publish(client, people, article(title=f"NHS waiting lists {tag}", sectors=["health"]))
    _member_id, member = await people.member()
    profile = await client.put(
        "/me/profile",
        json={"sector": "Local government", "region": "North West", "expertise": ["Finance"]},
        headers=member,
    )
    assert profile.status_code == 200
    assert profile.json()["sector"] == "local-government"

    response = await client.get("/feed", params={"limit": 100}, headers=member)
    entries = response.json()["items"]
    first = entries[0]
    assert first["item"]["id"] == local["id"]
    assert first["reasons"][0] == "because you work in local government"


async def test_expertise_region_and_followed_topics_explain_themselves(
    client, people, topic
) -> None:
    tag = uuid.uuid4().hex[:6]
    await publish(
        client,
        people,
        article(
            title=f"Net zero {tag}", expertise=["net-zero"], regions=["scotland"], topics=[topic]
        ),
    )
    _, member = await people.member()
    await client.put(
        "/me/profile", json={"region": "Scotland", "expertise": ["Net Zero"]}, headers=member
    )
    assert (
        await client.put(f"/me/topics/{topic}", json={"mode": "follow"}, headers=member)
    ).status_code == 200
    entry = (await client.get("/feed", headers=member)).json()["items"][0]
    assert entry["item"]["title"] == f"Net zero {tag}"
    assert entry["reasons"] == [
        "because of your expertise in net zero",
        f"because you follow {topic.replace('-', ' ')}",
        "because you are based in scotland",
    ]


async def test_read_items_sink_and_muted_topics_disappear(client, people, topic) -> None:
    tag = uuid.uuid4().hex[:6]
    first = await publish(client, people, article(title=f"First {tag}", sectors=["defence"]))
    await publish(client, people, article(title=f"Second {tag}", sectors=["defence"]))
    muted = await publish(client, people, article(title=f"Muted {tag}", topics=[topic]))
    _, member = await people.member()
    await client.put("/me/profile", json={"sector": "defence"}, headers=member)
    titles = await feed_titles(client, member)
    assert titles[:2] == [f"Second {tag}", f"First {tag}"]

    assert (await client.get(f"/items/{first['id']}", headers=member)).status_code == 200
    entries = (await client.get("/feed", params={"limit": 100}, headers=member)).json()["items"]
    read = next(e for e in entries if e["item"]["id"] == first["id"])
    assert read["read"] is True
    assert [e["item"]["title"] for e in entries].index(f"First {tag}") > 1

    assert f"Muted {tag}" in [e["item"]["title"] for e in entries]
    await client.put(f"/me/topics/{topic}", json={"mode": "mute"}, headers=member)
    assert muted["title"] not in await feed_titles(client, member)
    assert (await client.delete(f"/me/topics/{topic}", headers=member)).status_code == 204
    assert muted["title"] in await feed_titles(client, member)
    unknown = await client.put("/me/topics/no-such-topic", json={"mode": "mute"}, headers=member)
    assert unknown.status_code == 404


async def test_members_never_see_items_not_meant_for_them(client, people, emit) -> None:
    tag = uuid.uuid4().hex[:6]
    cohort_id = uuid.uuid4()
    for_cohort = await publish(
        client,
        people,
        article(
            title=f"Cohort only {tag}", audience="cohorts", audience_cohort_ids=[str(cohort_id)]
        ),
    )
    for_health = await publish(
        client,
        people,
        article(title=f"Health only {tag}", audience="sectors", audience_sectors=["health"]),
    )
    outsider_id, outsider = await people.member()
    insider_id, insider = await people.member()
    await emit(
        CohortCreatedV1(
            cohort_id=cohort_id,
            name="Cohort 2026",
            year=2026,
            starts_on="2026-01-01",
            ends_on="2026-12-31",  # type: ignore[arg-type]
        )
    )
    await emit(
        MemberJoinedCohortV1(
            member_id=insider_id, cohort_id=cohort_id, cohort_year=2026, cohort_name="Cohort 2026"
        )
    )
    await client.put("/me/profile", json={"sector": "health"}, headers=insider)

    async def insider_sees_both() -> bool:
        titles = await feed_titles(client, insider)
        return {for_cohort["title"], for_health["title"]} <= set(titles)

    await eventually(insider_sees_both)
    entry = next(
        e
        for e in (await client.get("/feed", params={"limit": 100}, headers=insider)).json()["items"]
        if e["item"]["id"] == for_cohort["id"]
    )
    assert "because it is for your cohort, Cohort 2026" in entry["reasons"]

    titles = await feed_titles(client, outsider)
    assert for_cohort["title"] not in titles
    assert for_health["title"] not in titles
    for item in (for_cohort, for_health):
        assert (await client.get(f"/items/{item['id']}", headers=outsider)).status_code == 404
        assert (await client.get(f"/items/{item['id']}", headers=insider)).status_code == 200
    hits = (await client.get("/search", params={"q": tag}, headers=outsider)).json()["items"]
    assert hits == []
    hits = (await client.get("/search", params={"q": tag}, headers=insider)).json()["items"]
    assert {h["title"] for h in hits} == {for_cohort["title"], for_health["title"]}
    assert outsider_id != insider_id


async def test_drafts_and_withdrawn_items_are_never_in_feeds_or_search(client, people) -> None:
    tag = uuid.uuid4().hex[:6]
    curator = await people.curator()
    await client.post("/items", json=article(title=f"Draft {tag}"), headers=curator)
    gone = await publish(client, people, article(title=f"Gone {tag}"))
    await client.post(f"/items/{gone['id']}/withdraw", headers=curator)
    _, member = await people.member()
    assert (await client.get("/search", params={"q": tag}, headers=member)).json()["items"] == []
    titles = await feed_titles(client, member)
    assert f"Draft {tag}" not in titles
    assert f"Gone {tag}" not in titles


async def test_search_matches_stems_filters_and_pages(client, people, topic) -> None:
    tag = uuid.uuid4().hex[:8]
    for n in range(5):
        await publish(
            client,
            people,
            article(
                title=f"Procurement reform {tag} part {n}",
                body_markdown=f"How departments are procuring {tag} differently.",
                topics=[topic] if n % 2 == 0 else [],
            ),
        )
    await publish(
        client,
        people,
        {
            "kind": "resource",
            "title": f"Procurement toolkit {tag}",
            "link_url": "https://www.gov.uk/guidance/procurement",
            "document_type": "pdf",
            "document_size_bytes": 120_000,
        },
    )
    _, member = await people.member()
    everything = await client.get("/search", params={"q": f"procure {tag}"}, headers=member)
    assert len(everything.json()["items"]) == 6
    resources = await client.get(
        "/search", params={"q": f"procure {tag}", "kind": "resource"}, headers=member
    )
    assert [i["kind"] for i in resources.json()["items"]] == ["resource"]
    in_topic = await client.get("/search", params={"q": tag, "topic": topic}, headers=member)
    assert len(in_topic.json()["items"]) == 3

    seen: list[str] = []
    cursor = None
    while True:
        params = {"q": f"procurement {tag}", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/search", params=params, headers=member)).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 6
    bad = await client.get("/search", params={"q": "x", "cursor": "!!"}, headers=member)
    assert bad.status_code == 400
    assert (await client.get("/search", params={"q": "x" * 201}, headers=member)).status_code == 422


async def test_feed_pages_do_not_repeat_or_skip(client, people) -> None:
    tag = uuid.uuid4().hex[:6]
    for n in range(5):
        await publish(client, people, article(title=f"Paged {tag} {n}", sectors=["education"]))
    _, member = await people.member()
    await client.put("/me/profile", json={"sector": "education"}, headers=member)
    seen: list[str] = []
    cursor = None
    for _ in range(200):
        params: dict[str, object] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/feed", params=params, headers=member)).json()
        seen += [e["item"]["id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen))
    titles = await feed_titles(client, member)
    assert [t for t in titles if tag in t] == [f"Paged {tag} {n}" for n in range(4, -1, -1)]
    assert len(seen) == len(titles)

"""What other departments hear about content (issue 9), read from the real public topic: only
items a curator shared with departments, without their audience or curators, and a withdrawal
when an item is withdrawn or no longer shared."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from content_support import article, publish
from support import events_on_topic

PUBLIC_ITEMS = "public.content.item.v1"


async def test_a_shared_item_is_published_updated_and_withdrawn_for_departments(
    client, people, stack
) -> None:
    item = await publish(
        client, people, article(topics=[], shared_with_departments=True, regions=["wales"])
    )
    assert item["shared_with_departments"] is True
    curator = await people.curator()
    body = article(title="Revised title", shared_with_departments=True)
    assert (await client.put(f"/items/{item['id']}", json=body, headers=curator)).status_code == 200
    withdrawn = await client.post(
        f"/items/{item['id']}/withdraw", json={"note": "Superseded"}, headers=curator
    )
    assert withdrawn.status_code == 200, withdrawn.text

    events = await events_on_topic(
        stack.infrastructure.kafka_bootstrap, PUBLIC_ITEMS, item["id"], want=3
    )
    assert [e.type for e in events] == [
        "public.content.item.published.v1",
        "public.content.item.updated.v1",
        "public.content.item.withdrawn.v1",
    ]
    published = events[0].data
    assert published["title"] == item["title"]
    assert published["kind"] == "article"
    assert published["url"].endswith(f"/api/content/items/{item['id']}")
    assert not {"audience", "regions", "sectors", "expertise", "author_id", "reason"} & set(
        published
    )
    assert events[1].data["title"] == "Revised title"
    assert [e.data["version"] for e in events] == [1, 2, 2]


async def test_unsharing_withdraws_and_an_unshared_item_is_never_sent(
    client, people, stack
) -> None:
    shared = await publish(client, people, article(shared_with_departments=True))
    unshared = await publish(client, people, article())
    curator = await people.curator()
    body = article(title=shared["title"], shared_with_departments=False)
    assert (
        await client.put(f"/items/{shared['id']}", json=body, headers=curator)
    ).status_code == 200
    bootstrap = stack.infrastructure.kafka_bootstrap
    events = await events_on_topic(bootstrap, PUBLIC_ITEMS, shared["id"], want=2)
    assert [e.type for e in events] == [
        "public.content.item.published.v1",
        "public.content.item.withdrawn.v1",
    ]
    # Published before the shared item was changed: anything sent for it would be there now.
    assert await events_on_topic(bootstrap, PUBLIC_ITEMS, unshared["id"], want=1, timeout=2) == []


async def test_only_items_for_everyone_may_be_shared(client, people) -> None:
    curator = await people.curator()
    response = await client.post(
        "/items",
        json=article(
            audience="sectors", audience_sectors=["nhs_health"], shared_with_departments=True
        ),
        headers=curator,
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert "everyone" in response.json()["detail"]


async def test_a_shared_item_published_by_the_scheduler_reaches_departments(
    client, people, stack
) -> None:
    author = await people.curator()
    created = await client.post(
        "/items", json=article(shared_with_departments=True), headers=author
    )
    item_id = created.json()["id"]
    await client.post(f"/items/{item_id}/submit", headers=author)
    await client.post(f"/items/{item_id}/approve", headers=await people.curator())
    when = datetime.now(UTC) + timedelta(seconds=1)
    scheduled = await client.post(
        f"/items/{item_id}/publish", json={"publish_at": when.isoformat()}, headers=author
    )
    assert scheduled.json()["status"] == "scheduled"
    bootstrap = stack.infrastructure.kafka_bootstrap
    events = await events_on_topic(bootstrap, PUBLIC_ITEMS, item_id, want=1, timeout=30)
    assert [e.type for e in events] == ["public.content.item.published.v1"]
    assert events[0].data["version"] == 1

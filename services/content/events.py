"""The integration events content publishes about items, public twins included.

Internal events (`content.item.v1`) carry the whole snapshot, audience included. Public events
(`public.content.item.v1`, issue 9) tell other departments about items a curator shared with
them, and are built from the internal event of the same change (`twin_of`), so they can only
carry what their own contract declares. An item's public life follows whether it is *out
there*: published and shared. Becoming so publishes, changing while so updates, ceasing to be
so (withdrawn, or no longer shared) withdraws.
"""

from __future__ import annotations

from contracts.base import IntegrationEvent
from contracts.events.content import (
    ContentItemPublishedV1,
    ContentItemUpdatedV1,
    ContentItemWithdrawnV1,
    ItemAudienceV1,
    PublicContentItemPublishedV1,
    PublicContentItemUpdatedV1,
    PublicContentItemWithdrawnV1,
)
from services.content.adapters.orm import Item
from services.content.domain.model import ItemStatus

ItemEvent = ContentItemPublishedV1 | ContentItemUpdatedV1 | ContentItemWithdrawnV1


def _snapshot(item: Item) -> dict[str, object]:
    assert item.published_at is not None
    return {
        "item_id": item.id,
        "version": item.version,
        "kind": item.kind,
        "title": item.title,
        "summary": item.summary,
        "topics": list(item.topics),
        "sectors": list(item.sectors),
        "expertise": list(item.expertise),
        "regions": list(item.regions),
        "audience": ItemAudienceV1(
            kind=item.audience,
            cohort_ids=list(item.audience_cohort_ids),
            sectors=list(item.audience_sectors),
        ),
        "published_at": item.published_at,
        "starts_at": item.starts_at,
        "ends_at": item.ends_at,
    }


def item_published(item: Item) -> ContentItemPublishedV1:
    return ContentItemPublishedV1.model_validate(_snapshot(item))


def item_updated(item: Item) -> ContentItemUpdatedV1:
    """The whole new snapshot of a published item that changed (at its `updated_at`)."""
    return ContentItemUpdatedV1.model_validate(_snapshot(item) | {"updated_at": item.updated_at})


def item_withdrawn(item: Item, reason: str) -> ContentItemWithdrawnV1:
    assert item.withdrawn_at is not None
    return ContentItemWithdrawnV1(
        item_id=item.id, version=item.version, withdrawn_at=item.withdrawn_at, reason=reason
    )


def item_url(base_url: str, item: Item) -> str:
    """Where the item is read: the gateway's address, so members sign in there to read it."""
    return f"{base_url.rstrip('/')}/api/content/items/{item.id}"


def is_public(item: Item) -> bool:
    return item.status == ItemStatus.PUBLISHED.value and bool(item.shared_with_departments)


def public_twin(
    event: ItemEvent, item: Item, *, was_public: bool, base_url: str
) -> IntegrationEvent | None:
    """The public event for the change `event` records, if departments are to hear of it.

    `was_public` is `is_public(item)` before the change; `item` is as the change left it. A
    public withdrawal is dated by the item's `updated_at` (also the moment of an internal one).
    """
    now_public = is_public(item)
    if was_public and now_public:
        return PublicContentItemUpdatedV1.twin_of(event, url=item_url(base_url, item))
    if now_public:
        return PublicContentItemPublishedV1.twin_of(event, url=item_url(base_url, item))
    if was_public:
        return PublicContentItemWithdrawnV1.twin_of(event, withdrawn_at=item.updated_at)
    return None

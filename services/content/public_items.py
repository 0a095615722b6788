"""What other departments hear about content (issue 9): items a curator shared with them.

Written in the same unit of work as the internal item events. An item's public life follows
whether it is *out there*: published and shared. Becoming so publishes, changing while so
updates, ceasing to be so (withdrawn, or no longer shared) withdraws.
"""

from __future__ import annotations

from datetime import datetime

from contracts.events.content import (
    PublicContentItemPublishedV1,
    PublicContentItemUpdatedV1,
    PublicContentItemWithdrawnV1,
)
from services.chassis.database import UnitOfWork
from services.content.adapters.orm import Item
from services.content.domain.model import ItemStatus


def item_url(base_url: str, item: Item) -> str:
    """Where the item is read: the gateway's address, so members sign in there to read it."""
    return f"{base_url.rstrip('/')}/api/content/items/{item.id}"


def is_public(item: Item) -> bool:
    return item.status == ItemStatus.PUBLISHED.value and bool(item.shared_with_departments)


async def publish_public_change(
    uow: UnitOfWork, item: Item, *, was_public: bool, base_url: str, at: datetime
) -> None:
    """The public event for this change of `item`, if departments are to hear of it.

    `was_public` is `is_public(item)` before the change; call after the item's version moved.
    """
    now_public = is_public(item)
    if not was_public and not now_public:
        return
    if was_public and not now_public:
        await uow.publish(
            PublicContentItemWithdrawnV1(item_id=item.id, version=item.version, withdrawn_at=at)
        )
        return
    assert item.published_at is not None
    snapshot = {
        "item_id": item.id,
        "version": item.version,
        "kind": item.kind,
        "title": item.title,
        "summary": item.summary,
        "url": item_url(base_url, item),
        "topics": list(item.topics),
        "published_at": item.published_at,
        "starts_at": item.starts_at,
        "ends_at": item.ends_at,
    }
    if was_public:
        await uow.publish(PublicContentItemUpdatedV1(**snapshot, updated_at=at))
    else:
        await uow.publish(PublicContentItemPublishedV1(**snapshot))

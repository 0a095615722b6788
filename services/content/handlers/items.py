"""Items and their curation workflow: drafts, review, publishing (now or scheduled), updates,
withdrawal and documents. Every step is audited; published changes publish their events."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert

from services.chassis.database import UnitOfWork
from services.content import events
from services.content.adapters.orm import Document, Item, ItemAuditEntry, PublishedItem, Topic
from services.content.config import ContentSettings
from services.content.domain import commands
from services.content.domain.errors import InvalidItem, ItemNotFound, NotPermitted
from services.content.domain.model import (
    SCHEDULER,
    Action,
    Actor,
    AudienceKind,
    ItemKind,
    ItemStatus,
    check_event_times,
    next_status,
    slugs,
)
from services.content.domain.sanitising import clean_text, plain_text, render_markdown


def _audit(
    uow: UnitOfWork,
    item: Item,
    actor: str,
    action: Action,
    from_status: str | None,
    **details: Any,
) -> None:
    uow.session.add(
        ItemAuditEntry(
            item_id=item.id,
            actor=actor,
            action=action.value,
            from_status=from_status,
            to_status=item.status,
            details=details,
        )
    )


async def _apply_fields(uow: UnitOfWork, item: Item, fields: commands.ItemFields) -> list[str]:
    """Validate `fields` and copy them onto `item`; returns the names of fields that changed."""
    kind = ItemKind(fields.kind)
    topics = slugs(fields.topics)
    if topics:
        known = set(await uow.session.scalars(select(Topic.slug).where(Topic.slug.in_(topics))))
        unknown = [t for t in topics if t not in known]
        if unknown:
            raise InvalidItem(f"Unknown topic: {', '.join(unknown)}. Create it first.")
    audience = AudienceKind(fields.audience)
    audience_sectors = slugs(fields.audience_sectors)
    cohort_ids = list(dict.fromkeys(fields.audience_cohort_ids))
    if audience is AudienceKind.COHORTS and not cohort_ids:
        raise InvalidItem("An item for cohorts needs at least one cohort id.")
    if audience is AudienceKind.SECTORS and not audience_sectors:
        raise InvalidItem("An item for sectors needs at least one sector.")
    if audience is not AudienceKind.COHORTS:
        cohort_ids = []
    if audience is not AudienceKind.SECTORS:
        audience_sectors = []
    if fields.shared_with_departments and audience is not AudienceKind.EVERYONE:
        raise InvalidItem("Only items for everyone can be shared with departments.")
    values: dict[str, Any] = {
        "kind": kind.value,
        "title": clean_text(fields.title),
        "summary": clean_text(fields.summary),
        "body_markdown": fields.body_markdown,
        "body_html": render_markdown(fields.body_markdown),
        "body_text": plain_text(fields.body_markdown),
        "topics": topics,
        "sectors": slugs(fields.sectors),
        "expertise": slugs(fields.expertise),
        "regions": slugs(fields.regions),
        "audience": audience.value,
        "audience_cohort_ids": cohort_ids,
        "audience_sectors": audience_sectors,
        "shared_with_departments": fields.shared_with_departments,
        "starts_at": None,
        "ends_at": None,
        "place": None,
        "online_url": None,
        "capacity": None,
        "link_url": None,
        "document_type": None,
        "document_size_bytes": None,
        "offer_type": None,
        "how_to_join": None,
    }
    if not values["title"]:
        raise InvalidItem("An item needs a title.")
    if kind is ItemKind.EVENT:
        check_event_times(fields.starts_at, fields.ends_at)
        if not fields.place and not fields.online_url:
            raise InvalidItem("An event needs a place, an online link, or both.")
        values.update(
            starts_at=fields.starts_at,
            ends_at=fields.ends_at,
            place=clean_text(fields.place) if fields.place else None,
            online_url=fields.online_url,
            capacity=fields.capacity,
        )
    elif kind is ItemKind.RESOURCE:
        if not fields.link_url and not fields.document_type:
            raise InvalidItem("A resource needs a link, or a document type (then upload it).")
        values.update(
            link_url=fields.link_url,
            document_type=fields.document_type,
            document_size_bytes=fields.document_size_bytes,
        )
    elif kind is ItemKind.SUPPORT_OFFER:
        if not fields.offer_type:
            raise InvalidItem("A support offer needs an offer type.")
        values.update(
            offer_type=fields.offer_type,
            how_to_join=clean_text(fields.how_to_join) if fields.how_to_join else None,
        )
    changed = [name for name, value in values.items() if getattr(item, name, None) != value]
    for name, value in values.items():
        setattr(item, name, value)
    return changed


async def locked_item(uow: UnitOfWork, item_id: UUID) -> Item:
    """The item's row, locked for this transaction (ItemNotFound when there is none)."""
    item = await uow.session.get(Item, item_id, with_for_update=True, populate_existing=True)
    if item is None:
        raise ItemNotFound()
    return item


async def _publish_events(
    uow: UnitOfWork, item: Item, event: events.ItemEvent, *, was_public: bool, base_url: str
) -> None:
    """`event`, then its public twin when departments are to hear of the change."""
    await uow.publish(event)
    twin = events.public_twin(event, item, was_public=was_public, base_url=base_url)
    if twin is not None:
        await uow.publish(twin)


async def _index(uow: UnitOfWork, item: Item) -> None:
    """Put a published item's ranking columns in `published_items` (or take them out)."""
    if item.status != ItemStatus.PUBLISHED.value:
        await uow.session.execute(delete(PublishedItem).where(PublishedItem.id == item.id))
        return
    values = {
        "published_at": item.published_at,
        "topics": list(item.topics),
        "sectors": list(item.sectors),
        "expertise": list(item.expertise),
        "regions": list(item.regions),
        "audience": item.audience,
        "audience_cohort_ids": list(item.audience_cohort_ids),
        "audience_sectors": list(item.audience_sectors),
    }
    await uow.session.execute(
        insert(PublishedItem)
        .values(id=item.id, **values)
        .on_conflict_do_update(index_elements=["id"], set_=values)
    )


async def _publish(uow: UnitOfWork, item: Item, *, at: datetime, base_url: str) -> None:
    """Make `item`, just moved to published, visible: a new version, indexed, announced (it
    was not public a moment ago)."""
    item.published_at = at
    item.publish_at = None
    item.version += 1
    item.updated_at = at
    await _index(uow, item)
    await _publish_events(
        uow, item, events.item_published(item), was_public=False, base_url=base_url
    )


async def create_item(command: commands.CreateItem, uow: UnitOfWork) -> Item:
    """A draft written by a curator or admin; audited."""
    if not command.actor.is_curator:
        raise NotPermitted("This needs the role curator or programme_admin.")
    at = datetime.now(UTC)
    item = Item(
        id=uuid.uuid4(),
        status=ItemStatus.DRAFT.value,
        author_id=command.actor.id,
        version=0,
        created_at=at,
        updated_at=at,
    )
    await _apply_fields(uow, item, command.fields)
    uow.session.add(item)
    await uow.session.flush()
    _audit(uow, item, command.actor.id, Action.CREATE, None)
    return item


async def edit_item(
    command: commands.EditItem, uow: UnitOfWork, *, settings: ContentSettings
) -> Item:
    """Change a draft, or update a published item (a new version, `content.item.updated`).

    A published item keeps its kind. Submitted, approved and scheduled items are frozen: return
    them to draft first, so what was approved is what is published.
    """
    item = await locked_item(uow, command.item_id)
    status = ItemStatus(item.status)
    action = Action.UPDATE if status is ItemStatus.PUBLISHED else Action.EDIT
    next_status(status, action, command.actor, author=item.author_id)
    if action is Action.UPDATE and command.fields.kind != item.kind:
        raise InvalidItem("A published item cannot change kind; withdraw it and write a new one.")
    was_public = events.is_public(item)
    changed = await _apply_fields(uow, item, command.fields)
    if not changed:
        return item
    item.updated_at = datetime.now(UTC)
    if action is Action.UPDATE:
        item.version += 1
        await _index(uow, item)
        await _publish_events(
            uow,
            item,
            events.item_updated(item),
            was_public=was_public,
            base_url=settings.public_base_url,
        )
    _audit(uow, item, command.actor.id, action, status.value, changed=changed)
    return item


async def move_item(
    command: commands.MoveItem, uow: UnitOfWork, *, settings: ContentSettings
) -> Item:
    """One workflow step, checked by `next_status`, audited, with its event when it publishes."""
    item = await locked_item(uow, command.item_id)
    was_public = events.is_public(item)
    action = Action(command.action)
    before = ItemStatus(item.status)
    at = datetime.now(UTC)
    if action is Action.PUBLISH and command.publish_at is not None:
        if command.publish_at.tzinfo is None:
            raise InvalidItem("Give publish_at with a time zone, e.g. 2026-12-01T09:00:00Z.")
        if command.publish_at > at:
            action = Action.SCHEDULE
    target = next_status(before, action, command.actor, author=item.author_id)
    item.status = target.value
    item.updated_at = at
    details: dict[str, Any] = {}
    if command.note:
        details["note"] = command.note
    if action is Action.APPROVE:
        item.approved_by = command.actor.id
    elif action is Action.RETURN:
        item.approved_by = None
    elif action is Action.SCHEDULE:
        assert command.publish_at is not None
        item.publish_at = command.publish_at
        details["publish_at"] = command.publish_at.isoformat()
    elif action is Action.UNSCHEDULE:
        item.publish_at = None
    elif action is Action.PUBLISH:
        await _publish(uow, item, at=at, base_url=settings.public_base_url)
    elif action is Action.WITHDRAW:
        item.withdrawn_at = at
        await _index(uow, item)
        if item.version > 0:
            await _publish_events(
                uow,
                item,
                events.item_withdrawn(item, command.note or ""),
                was_public=was_public,
                base_url=settings.public_base_url,
            )
    _audit(uow, item, command.actor.id, action, before.value, **details)
    return item


async def publish_due_items(
    command: commands.PublishDueItems, uow: UnitOfWork, *, settings: ContentSettings
) -> list[UUID]:
    """Publish scheduled items that are due; returns their ids.

    Rows are claimed with `FOR UPDATE SKIP LOCKED` and re-checked as `scheduled`, so several
    schedulers (one per replica) never publish the same item twice.
    """
    due = (
        await uow.session.scalars(
            select(Item)
            .where(Item.status == ItemStatus.SCHEDULED.value, Item.publish_at <= command.now)
            .order_by(Item.publish_at)
            .limit(command.limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    scheduler = Actor(SCHEDULER, frozenset())
    for item in due:
        before = ItemStatus(item.status)
        item.status = next_status(
            before, Action.PUBLISH_SCHEDULED, scheduler, author=item.author_id
        ).value
        await _publish(uow, item, at=datetime.now(UTC), base_url=settings.public_base_url)
        _audit(uow, item, SCHEDULER, Action.PUBLISH_SCHEDULED, before.value)
    return [item.id for item in due]


async def attach_document(
    command: commands.AttachDocument, uow: UnitOfWork, *, settings: ContentSettings
) -> Item:
    """Store a resource's document (replacing any earlier one) and record its type and size."""
    item = await locked_item(uow, command.item_id)
    if item.kind != ItemKind.RESOURCE.value:
        raise InvalidItem("Only resources have documents.")
    status = ItemStatus(item.status)
    action = Action.UPDATE if status is ItemStatus.PUBLISHED else Action.EDIT
    next_status(status, action, command.actor, author=item.author_id)
    size = len(command.data)
    await uow.session.execute(delete(Document).where(Document.item_id == item.id))
    uow.session.add(
        Document(
            item_id=item.id,
            filename=command.filename,
            content_type=command.content_type,
            size_bytes=size,
            data=command.data,
            uploaded_by=command.actor.id,
        )
    )
    item.document_type, item.document_size_bytes = command.document_type, size
    item.updated_at = datetime.now(UTC)
    if action is Action.UPDATE:
        item.version += 1
        await _publish_events(
            uow,
            item,
            events.item_updated(item),
            was_public=events.is_public(item),
            base_url=settings.public_base_url,
        )
    _audit(
        uow,
        item,
        command.actor.id,
        action,
        status.value,
        document=command.filename,
        size_bytes=size,
    )
    return item

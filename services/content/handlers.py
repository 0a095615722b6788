"""Content's command handlers. They change state, audit, publish events; the caller commits."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert

from contracts.events.content import (
    ContentItemPublishedV1,
    ContentItemUpdatedV1,
    ContentItemWithdrawnV1,
    ItemAudienceV1,
)
from services.chassis.database import UnitOfWork
from services.chassis.mail import mail_outbox_table
from services.content import links, notifications, public_items
from services.content.adapters.orm import (
    Cohort,
    Digest,
    Document,
    Item,
    ItemAuditEntry,
    Member,
    MemberCohort,
    PublishedItem,
    Read,
    RsvpRow,
    Topic,
    TopicPreference,
)
from services.content.config import ContentSettings
from services.content.domain import commands
from services.content.domain.errors import (
    EventClosed,
    InvalidItem,
    ItemNotFound,
    LinkNotValid,
    NoRsvp,
    NotAnEvent,
    NotPermitted,
    ProfileFromDirectory,
    TopicExists,
    TopicNotFound,
)
from services.content.domain.model import (
    SCHEDULER,
    Action,
    Actor,
    AudienceKind,
    ItemKind,
    ItemStatus,
    check_event_times,
    may_see,
    next_status,
    slugify,
    slugs,
)
from services.content.domain.sanitising import clean_text, plain_text, render_markdown


def now() -> datetime:
    return datetime.now(UTC)


def audit(
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


# -- topics --------------------------------------------------------------------------------


async def create_topic(command: commands.CreateTopic, uow: UnitOfWork) -> Topic:
    slug = slugify(command.slug or command.name)
    if not slug:
        raise InvalidItem("A topic needs a name with letters or digits.")
    if await uow.session.get(Topic, slug) is not None:
        raise TopicExists(slug)
    topic = Topic(
        slug=slug,
        name=clean_text(command.name),
        description=clean_text(command.description),
        created_by=command.actor,
    )
    uow.session.add(topic)
    await uow.session.flush()
    return topic


# -- curation ------------------------------------------------------------------------------


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


async def create_item(command: commands.CreateItem, uow: UnitOfWork) -> Item:
    """A draft written by a curator or admin; audited."""
    if not command.actor.is_curator:
        raise NotPermitted("This needs the role curator or programme_admin.")
    item = Item(
        id=uuid.uuid4(),
        status=ItemStatus.DRAFT.value,
        author_id=command.actor.id,
        version=0,
        created_at=now(),
        updated_at=now(),
    )
    await _apply_fields(uow, item, command.fields)
    uow.session.add(item)
    await uow.session.flush()
    audit(uow, item, command.actor.id, Action.CREATE, None)
    return item


async def _locked_item(uow: UnitOfWork, item_id: UUID) -> Item:
    item = await uow.session.get(Item, item_id, with_for_update=True, populate_existing=True)
    if item is None:
        raise ItemNotFound()
    return item


async def edit_item(command: commands.EditItem, uow: UnitOfWork, settings: ContentSettings) -> Item:
    """Change a draft, or update a published item (a new version, `content.item.updated`).

    A published item keeps its kind. Submitted, approved and scheduled items are frozen: return
    them to draft first, so what was approved is what is published.
    """
    item = await _locked_item(uow, command.item_id)
    status = ItemStatus(item.status)
    action = Action.UPDATE if status is ItemStatus.PUBLISHED else Action.EDIT
    next_status(status, action, command.actor, author=item.author_id)
    if action is Action.UPDATE and command.fields.kind != item.kind:
        raise InvalidItem("A published item cannot change kind; withdraw it and write a new one.")
    was_public = public_items.is_public(item)
    changed = await _apply_fields(uow, item, command.fields)
    if not changed:
        return item
    item.updated_at = now()
    if action is Action.UPDATE:
        item.version += 1
        await _index(uow, item)
        await uow.publish(_snapshot(ContentItemUpdatedV1, item, updated_at=item.updated_at))
        await public_items.publish_public_change(
            uow, item, was_public=was_public, base_url=settings.public_base_url, at=item.updated_at
        )
    audit(uow, item, command.actor.id, action, status.value, changed=changed)
    return item


async def move_item(command: commands.MoveItem, uow: UnitOfWork, settings: ContentSettings) -> Item:
    """One workflow step, checked by `next_status`, audited, with its event when it publishes."""
    item = await _locked_item(uow, command.item_id)
    was_public = public_items.is_public(item)
    action = Action(command.action)
    before = ItemStatus(item.status)
    if action is Action.PUBLISH and command.publish_at is not None:
        if command.publish_at.tzinfo is None:
            raise InvalidItem("Give publish_at with a time zone, e.g. 2026-12-01T09:00:00Z.")
        if command.publish_at > now():
            action = Action.SCHEDULE
    target = next_status(before, action, command.actor, author=item.author_id)
    item.status = target.value
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
        await _publish(uow, item)
    elif action is Action.WITHDRAW:
        item.withdrawn_at = now()
        await _index(uow, item)
        if item.version > 0:
            await uow.publish(
                ContentItemWithdrawnV1(
                    item_id=item.id,
                    version=item.version,
                    withdrawn_at=item.withdrawn_at,
                    reason=command.note or "",
                )
            )
    item.updated_at = now()
    await public_items.publish_public_change(
        uow, item, was_public=was_public, base_url=settings.public_base_url, at=item.updated_at
    )
    audit(uow, item, command.actor.id, action, before.value, **details)
    return item


async def _publish(uow: UnitOfWork, item: Item) -> None:
    item.published_at = now()
    item.publish_at = None
    item.version += 1
    await _index(uow, item)
    await uow.publish(_snapshot(ContentItemPublishedV1, item))


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


def _snapshot(model: Any, item: Item, **extra: Any) -> Any:
    assert item.published_at is not None
    return model(
        item_id=item.id,
        version=item.version,
        kind=item.kind,
        title=item.title,
        summary=item.summary,
        topics=list(item.topics),
        sectors=list(item.sectors),
        expertise=list(item.expertise),
        regions=list(item.regions),
        audience=ItemAudienceV1(
            kind=item.audience,
            cohort_ids=list(item.audience_cohort_ids),
            sectors=list(item.audience_sectors),
        ),
        published_at=item.published_at,
        starts_at=item.starts_at,
        ends_at=item.ends_at,
        **extra,
    )


async def publish_due_items(
    command: commands.PublishDueItems, uow: UnitOfWork, settings: ContentSettings
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
        await _publish(uow, item)
        item.updated_at = now()
        await public_items.publish_public_change(
            uow, item, was_public=False, base_url=settings.public_base_url, at=item.updated_at
        )
        audit(uow, item, SCHEDULER, Action.PUBLISH_SCHEDULED, before.value)
    return [item.id for item in due]


async def attach_document(
    uow: UnitOfWork,
    *,
    item_id: UUID,
    actor: Actor,
    filename: str,
    content_type: str,
    data: bytes,
    document_type: str,
    settings: ContentSettings,
) -> Item:
    """Store a resource's document (replacing any earlier one) and record its type and size."""
    item = await _locked_item(uow, item_id)
    if item.kind != ItemKind.RESOURCE.value:
        raise InvalidItem("Only resources have documents.")
    status = ItemStatus(item.status)
    action = Action.UPDATE if status is ItemStatus.PUBLISHED else Action.EDIT
    next_status(status, action, actor, author=item.author_id)
    await uow.session.execute(delete(Document).where(Document.item_id == item_id))
    uow.session.add(
        Document(
            item_id=item_id,
            filename=filename,
            content_type=content_type,
            size_bytes=len(data),
            data=data,
            uploaded_by=actor.id,
        )
    )
    item.document_type, item.document_size_bytes = document_type, len(data)
    item.updated_at = now()
    if action is Action.UPDATE:
        item.version += 1
        await uow.publish(_snapshot(ContentItemUpdatedV1, item, updated_at=item.updated_at))
        await public_items.publish_public_change(
            uow,
            item,
            was_public=public_items.is_public(item),
            base_url=settings.public_base_url,
            at=item.updated_at,
        )
    audit(uow, item, actor.id, action, status.value, document=filename, size_bytes=len(data))
    return item


# -- the member projection -----------------------------------------------------------------


async def _member(uow: UnitOfWork, member_id: UUID) -> Member:
    """The member's row, created empty if we have not heard of them yet."""
    await uow.session.execute(
        insert(Member)
        .values(member_id=member_id)
        .on_conflict_do_nothing(index_elements=["member_id"])
    )
    member = await uow.session.get(Member, member_id, with_for_update=True, populate_existing=True)
    assert member is not None
    return member


async def record_member(command: commands.RecordMember, uow: UnitOfWork) -> None:
    member = await _member(uow, command.member_id)
    member.full_name, member.email, member.active = command.full_name, command.email, True


async def deactivate_member(command: commands.DeactivateMember, uow: UnitOfWork) -> None:
    await uow.session.execute(
        update(Member).where(Member.member_id == command.member_id).values(active=False)
    )


async def erase_member(command: commands.EraseMember, uow: UnitOfWork) -> None:
    """Forget the member: reading history, follows, RSVPs (their places go to the waiting
    list), digests, digest preference, feed token, cohorts and profile. Idempotent."""
    member_id = command.member_id
    held = (
        await uow.session.scalars(
            select(RsvpRow.item_id).where(
                RsvpRow.member_id == member_id, RsvpRow.status == "confirmed"
            )
        )
    ).all()
    for item_id in held:
        await cancel_rsvp(commands.CancelRsvp(member_id=member_id, item_id=item_id), uow, None)
    email = await uow.session.scalar(select(Member.email).where(Member.member_id == member_id))
    if email:
        # Digests and place offers queued or kept for support name them too.
        await uow.session.execute(
            delete(mail_outbox_table).where(mail_outbox_table.c.to_address == email)
        )
    for table in (Read, TopicPreference, RsvpRow, Digest, MemberCohort, Member):
        await uow.session.execute(delete(table).where(table.member_id == member_id))


async def join_cohort(command: commands.JoinCohort, uow: UnitOfWork) -> None:
    await name_cohort(commands.NameCohort(command.cohort_id, command.cohort_name), uow)
    await uow.session.execute(
        insert(MemberCohort)
        .values(member_id=command.member_id, cohort_id=command.cohort_id)
        .on_conflict_do_nothing()
    )


async def leave_cohort(command: commands.LeaveCohort, uow: UnitOfWork) -> None:
    await uow.session.execute(
        delete(MemberCohort).where(
            MemberCohort.member_id == command.member_id,
            MemberCohort.cohort_id == command.cohort_id,
        )
    )


async def name_cohort(command: commands.NameCohort, uow: UnitOfWork) -> None:
    await uow.session.execute(
        insert(Cohort)
        .values(cohort_id=command.cohort_id, name=command.name)
        .on_conflict_do_update(index_elements=["cohort_id"], set_={"name": command.name})
    )


async def set_profile(command: commands.SetProfile, uow: UnitOfWork) -> Member:
    member = await _member(uow, command.member_id)
    if command.source == "member" and member.profile_source == "directory":
        raise ProfileFromDirectory()
    member.sector = slugify(command.sector) or None if command.sector else None
    member.region = slugify(command.region) or None if command.region else None
    member.expertise = slugs(command.expertise)
    member.profile_source = command.source
    return member


async def set_topic_preference(command: commands.SetTopicPreference, uow: UnitOfWork) -> None:
    topic = slugify(command.topic)
    if await uow.session.get(Topic, topic) is None:
        raise TopicNotFound(topic)
    if command.mode is None:
        await uow.session.execute(
            delete(TopicPreference).where(
                TopicPreference.member_id == command.member_id, TopicPreference.topic == topic
            )
        )
        return
    await uow.session.execute(
        insert(TopicPreference)
        .values(member_id=command.member_id, topic=topic, mode=command.mode)
        .on_conflict_do_update(index_elements=["member_id", "topic"], set_={"mode": command.mode})
    )


async def record_read(command: commands.RecordRead, uow: UnitOfWork) -> None:
    await uow.session.execute(
        insert(Read)
        .values(member_id=command.member_id, item_id=command.item_id)
        .on_conflict_do_nothing()
    )


# -- RSVP ----------------------------------------------------------------------------------


async def _member_may_see(uow: UnitOfWork, item: Item, member_id: UUID) -> bool:
    sector = await uow.session.scalar(select(Member.sector).where(Member.member_id == member_id))
    cohorts = (
        await uow.session.scalars(
            select(MemberCohort.cohort_id).where(MemberCohort.member_id == member_id)
        )
    ).all()
    return may_see(
        item.audience,
        item.audience_cohort_ids,
        item.audience_sectors,
        member_cohorts=cohorts,
        member_sector=sector,
    )


async def _open_event(uow: UnitOfWork, item_id: UUID) -> Item:
    # Locking the event serialises every RSVP and cancellation for it: counting the places
    # taken and taking one happen as one step, so concurrent requests cannot overbook.
    item = await _locked_item(uow, item_id)
    if item.status != ItemStatus.PUBLISHED.value:
        raise ItemNotFound()
    if item.kind != ItemKind.EVENT.value:
        raise NotAnEvent()
    return item


async def rsvp(command: commands.Rsvp, uow: UnitOfWork) -> tuple[RsvpRow, int | None]:
    """A place if one is free, else a place on the waiting list; returns the row and the
    waiting-list position (None when confirmed). Asking again changes nothing."""
    item = await _open_event(uow, command.item_id)
    if not await _member_may_see(uow, item, command.member_id):
        raise ItemNotFound()
    assert item.starts_at is not None
    if item.starts_at <= now():
        raise EventClosed("This event has started; RSVPs are closed.")
    row = await uow.session.get(
        RsvpRow, (command.item_id, command.member_id), populate_existing=True
    )
    if row is None or row.status == "cancelled":
        taken = await uow.session.scalar(
            select(func.count()).where(RsvpRow.item_id == item.id, RsvpRow.status == "confirmed")
        )
        status = (
            "confirmed" if item.capacity is None or (taken or 0) < item.capacity else "waitlisted"
        )
        at = now()
        if row is None:
            row = RsvpRow(
                item_id=item.id,
                member_id=command.member_id,
                status=status,
                requested_at=at,
                changed_at=at,
            )
            uow.session.add(row)
        else:
            row.status, row.requested_at, row.changed_at = status, at, at
        await uow.session.flush()
    return row, await waiting_position(uow, row)


async def waiting_position(uow: UnitOfWork, row: RsvpRow) -> int | None:
    if row.status != "waitlisted":
        return None
    ahead = await uow.session.scalar(
        select(func.count()).where(
            RsvpRow.item_id == row.item_id,
            RsvpRow.status == "waitlisted",
            RsvpRow.requested_at < row.requested_at,
        )
    )
    return (ahead or 0) + 1


async def cancel_rsvp(
    command: commands.CancelRsvp, uow: UnitOfWork, settings: ContentSettings | None
) -> UUID | None:
    """Give up a place (or a place in the queue). A freed place goes to the first on the
    waiting list, who is emailed when `settings` is given; returns who was promoted."""
    item = await _locked_item(uow, command.item_id)
    row = await uow.session.get(
        RsvpRow, (command.item_id, command.member_id), populate_existing=True
    )
    if row is None or row.status == "cancelled":
        raise NoRsvp()
    held_place = row.status == "confirmed"
    row.status, row.changed_at = "cancelled", now()
    await uow.session.flush()
    if not held_place:
        return None
    taken = await uow.session.scalar(
        select(func.count()).where(RsvpRow.item_id == item.id, RsvpRow.status == "confirmed")
    )
    if item.capacity is not None and (taken or 0) >= item.capacity:
        return None
    first = await uow.session.scalar(
        select(RsvpRow)
        .where(RsvpRow.item_id == item.id, RsvpRow.status == "waitlisted")
        .order_by(RsvpRow.requested_at, RsvpRow.member_id)
        .limit(1)
    )
    if first is None:
        return None
    first.status, first.changed_at = "confirmed", now()
    member = await uow.session.get(Member, first.member_id)
    if settings is not None and member is not None and member.email and item.starts_at:
        await notifications.send_place_confirmed(
            uow.session,
            to=member.email,
            full_name=member.full_name or "",
            title=item.title,
            when=item.starts_at.strftime("%-d %B %Y at %H:%M UTC"),
            link=f"{settings.public_base_url.rstrip('/')}/content/items/{item.id}",
        )
    return first.member_id


# -- digests and feeds ---------------------------------------------------------------------


async def set_digest_preference(command: commands.SetDigestPreference, uow: UnitOfWork) -> Member:
    member = await _member(uow, command.member_id)
    member.digest_weekly = command.weekly
    return member


async def unsubscribe(
    command: commands.Unsubscribe, uow: UnitOfWork, settings: ContentSettings
) -> None:
    """Stop the weekly digest for whoever the signed link names. Idempotent."""
    key = await links.signing_key(uow.session, settings)
    member_id = links.verify(key, links.UNSUBSCRIBE_DIGEST, command.token)
    if member_id is None:
        raise LinkNotValid()
    await uow.session.execute(
        update(Member).where(Member.member_id == member_id).values(digest_weekly=False)
    )


async def issue_feed_token(command: commands.IssueFeedToken, uow: UnitOfWork) -> str:
    """A new token for the member's Atom feeds; any earlier one stops working."""
    member = await _member(uow, command.member_id)
    token, token_hash = links.new_feed_token()
    member.feed_token_hash, member.feed_token_created_at = token_hash, now()
    return token


async def revoke_feed_token(command: commands.RevokeFeedToken, uow: UnitOfWork) -> None:
    await uow.session.execute(
        update(Member)
        .where(Member.member_id == command.member_id)
        .values(feed_token_hash=None, feed_token_created_at=None)
    )


def ensure_published(item: Item | None) -> Item:
    if item is None or item.status != ItemStatus.PUBLISHED.value:
        raise ItemNotFound()
    return item

"""RSVPs to events: a place while there is one, else the waiting list, which moves up when a
place is given back."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import func, select

from services.chassis.database import UnitOfWork
from services.content.adapters import mail_templates
from services.content.adapters.orm import Item, Member, MemberCohort, RsvpRow
from services.content.config import ContentSettings
from services.content.domain import commands
from services.content.domain.errors import EventClosed, ItemNotFound, NoRsvp, NotAnEvent
from services.content.domain.model import ItemKind, ItemStatus, may_see
from services.content.handlers.items import locked_item
from services.content.views.rsvps import waiting_position


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
    item = await locked_item(uow, item_id)
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
    at = datetime.now(UTC)
    if item.starts_at <= at:
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
    return row, await waiting_position(uow.session, row)


async def cancel_rsvp(
    command: commands.CancelRsvp, uow: UnitOfWork, *, settings: ContentSettings | None = None
) -> UUID | None:
    """Give up a place (or a place in the queue). A freed place goes to the first on the
    waiting list, who is emailed when `settings` is given; returns who was promoted."""
    item = await locked_item(uow, command.item_id)
    row = await uow.session.get(
        RsvpRow, (command.item_id, command.member_id), populate_existing=True
    )
    if row is None or row.status == "cancelled":
        raise NoRsvp()
    held_place = row.status == "confirmed"
    at = datetime.now(UTC)
    row.status, row.changed_at = "cancelled", at
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
    first.status, first.changed_at = "confirmed", datetime.now(UTC)
    member = await uow.session.get(Member, first.member_id)
    if settings is not None and member is not None and member.email and item.starts_at:
        await mail_templates.send_place_confirmed(
            uow.session,
            to=member.email,
            full_name=member.full_name or "",
            title=item.title,
            when=item.starts_at.strftime("%-d %B %Y at %H:%M UTC"),
            link=f"{settings.public_base_url.rstrip('/')}/content/items/{item.id}",
        )
    return first.member_id

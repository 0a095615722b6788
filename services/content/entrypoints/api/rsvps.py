"""Events: RSVPs, the attendee list and the event as a calendar file."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response, status

from services.chassis.auth import CurrentMember
from services.chassis.problems import Problem
from services.chassis.runtime import UnitOfWorkDep
from services.content.adapters.calendar_files import event_ics
from services.content.domain import commands
from services.content.domain.errors import ItemNotFound, NoRsvp, NotAnEvent
from services.content.entrypoints.api.dependencies import Curator, SettingsDep
from services.content.entrypoints.api.problems import run
from services.content.handlers import rsvps as rsvp_handlers
from services.content.schemas import AttendeeRead, RsvpRead
from services.content.views import items, rsvps
from services.content.views.readers import reader_context

router = APIRouter(prefix="/items", tags=["events"])


async def _rsvp_read(
    uow: UnitOfWorkDep, item_id: UUID, status_: str, position: int | None
) -> RsvpRead:
    item = await items.item(uow.session, item_id)
    assert item is not None
    return RsvpRead(
        item_id=item_id,
        status=status_,
        waiting_list_position=position,
        places_taken=await rsvps.places_taken(uow.session, item_id),
        capacity=item.capacity,
    )


@router.put(
    "/{item_id}/rsvp",
    summary="RSVP: a place if one is free, otherwise the waiting list",
)
async def rsvp(item_id: UUID, uow: UnitOfWorkDep, member_id: CurrentMember) -> RsvpRead:
    row, position = await run(
        rsvp_handlers.rsvp(commands.Rsvp(member_id=member_id, item_id=item_id), uow)
    )
    await uow.commit()
    return await _rsvp_read(uow, item_id, row.status, position)


@router.get("/{item_id}/rsvp", summary="Your RSVP")
async def my_rsvp(item_id: UUID, uow: UnitOfWorkDep, member_id: CurrentMember) -> RsvpRead:
    row = await rsvps.rsvp(uow.session, item_id, member_id)
    if row is None:
        raise Problem(404, "Not found", str(NoRsvp()), "no-rsvp")
    position = await rsvps.waiting_position(uow.session, row)
    return await _rsvp_read(uow, item_id, row.status, position)


@router.delete(
    "/{item_id}/rsvp",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Cancel your RSVP; a freed place goes to the first on the waiting list",
)
async def cancel_rsvp(
    item_id: UUID, uow: UnitOfWorkDep, member_id: CurrentMember, settings: SettingsDep
) -> Response:
    await run(
        rsvp_handlers.cancel_rsvp(
            commands.CancelRsvp(member_id=member_id, item_id=item_id), uow, settings=settings
        )
    )
    await uow.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{item_id}/attendees", summary="Places and waiting list of an event")
async def attendees(item_id: UUID, uow: UnitOfWorkDep, _: Curator) -> list[AttendeeRead]:
    return [AttendeeRead.model_validate(r) for r in await rsvps.attendees(uow.session, item_id)]


@router.get(
    "/{item_id}/calendar.ics", summary="The event as an iCalendar file", response_class=Response
)
async def event_calendar(
    item_id: UUID, uow: UnitOfWorkDep, member_id: CurrentMember, settings: SettingsDep
) -> Response:
    context = await reader_context(uow.session, member_id)
    item = await items.visible_item(uow.session, item_id, context)
    if item is None:
        raise Problem(404, "Not found", str(ItemNotFound()), "item-not-found")
    if item.kind != "event":
        raise Problem(409, "Not an event", str(NotAnEvent()), "not-an-event")
    return Response(
        event_ics(item, base_url=settings.public_base_url),
        media_type="text/calendar; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="convene-{item.id}.ics"'},
    )

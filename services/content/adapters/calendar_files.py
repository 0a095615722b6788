"""An event as an iCalendar (RFC 5545) file, for members' calendars."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event

from services.content.adapters.orm import Item


def event_ics(item: Item, *, base_url: str) -> bytes:
    """One VEVENT; its UID is stable and SEQUENCE is the item's version, so a calendar that
    imports an updated file replaces the earlier entry instead of adding another."""
    assert item.starts_at is not None
    calendar = Calendar()
    calendar.add("prodid", "-//Convene//Content//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    link = f"{base_url.rstrip('/')}/content/items/{item.id}"
    event.add("uid", f"{item.id}@convene.service.gov.uk")
    event.add("dtstamp", datetime.now(UTC))
    event.add("dtstart", item.starts_at.astimezone(UTC))
    event.add("dtend", (item.ends_at or item.starts_at + timedelta(hours=1)).astimezone(UTC))
    event.add("sequence", item.version)
    event.add("summary", item.title)
    event.add(
        "description", "\n\n".join(p for p in (item.summary, item.online_url or "", link) if p)
    )
    if item.place or item.online_url:
        event.add("location", item.place or item.online_url)
    event.add("url", item.online_url or link)
    calendar.add_component(event)
    ical: bytes = calendar.to_ical()
    return ical

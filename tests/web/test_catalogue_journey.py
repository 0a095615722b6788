"""A department's developer reads the event catalogue without signing in, in a real browser."""

from __future__ import annotations

import asyncio

from web_browser import Browser

from contracts.registry import REGISTRY


def catalogue_journey(browser: Browser) -> None:
    browser.visit("/")
    browser.follow("Events for departments")
    assert browser.heading == "Events you can receive from Convene"
    browser.check("event-catalogue")

    event_type = min(t for t, spec in REGISTRY.items() if spec.public)
    browser.follow(event_type)
    assert browser.heading == event_type
    assert f"events:{event_type}" in browser.text
    browser.check("event-type")

    browser.follow("All events for departments")
    assert browser.path == "/departments/events"


async def test_a_department_reads_the_event_catalogue(browser: Browser) -> None:
    await asyncio.to_thread(catalogue_journey, browser)

"""Feedback's handlers. They change state and publish events; the caller commits."""

from __future__ import annotations

from services.chassis.consumer import Handler

#: Event type -> handler for the events this service consumes.
EVENT_HANDLERS: dict[str, Handler] = {}

"""Events identity consumes, each mapped to a command. The chassis runs the inbox."""

from __future__ import annotations

from services.chassis.consumer import Handler

EVENT_HANDLERS: dict[str, Handler] = {}

"""Which event types exist, which topic carries each, and which are public."""

from __future__ import annotations

import inspect
from dataclasses import dataclass

from contracts.base import IntegrationEvent
from contracts.events.identity import (
    MemberActivatedV1,
    MemberDeactivatedV1,
    MemberErasedV1,
    MemberInvitedV1,
    MemberRoleChangedV1,
)

#: Every event model Convene publishes. Adding one here is how a new event type is born.
EVENT_MODELS: tuple[type[IntegrationEvent], ...] = (
    MemberInvitedV1,
    MemberActivatedV1,
    MemberRoleChangedV1,
    MemberDeactivatedV1,
    MemberErasedV1,
)

DLQ_SUFFIX = ".dlq"


@dataclass(frozen=True)
class EventSpec:
    event_type: str
    topic: str
    model: type[IntegrationEvent]
    public: bool
    description: str


def _spec(model: type[IntegrationEvent]) -> EventSpec:
    return EventSpec(
        event_type=model.event_type,
        topic=model.topic,
        model=model,
        public=model.public,
        description=inspect.cleandoc(model.__doc__ or ""),
    )


REGISTRY: dict[str, EventSpec] = {m.event_type: _spec(m) for m in EVENT_MODELS}


def spec_for(event_type: str) -> EventSpec:
    """The spec of a known event type; raises KeyError for an unknown one."""
    return REGISTRY[event_type]


def topics() -> list[str]:
    """Every event topic, sorted (dead-letter topics not included)."""
    return sorted({spec.topic for spec in REGISTRY.values()})


def dead_letter_topic(topic: str) -> str:
    return topic + DLQ_SUFFIX

"""Which event types exist, which topic carries each, and which are public.

An event is public (other departments may read it) exactly when its topic starts with
`public.`: public topics are named `public.<service>.<aggregate>.v<N>` and carry nothing but
public events, so subscribing to `public_topics()` can never deliver an internal event.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from types import ModuleType

from contracts.base import IntegrationEvent
from contracts.events import content, directory, feedback, identity


def _models_in(*modules: ModuleType) -> tuple[type[IntegrationEvent], ...]:
    """Every concrete event model defined in the given modules, in definition order."""
    found: list[type[IntegrationEvent]] = []
    for module in modules:
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, IntegrationEvent)
                and value.__module__ == module.__name__
                and "event_type" in vars(value)
            ):
                found.append(value)
    return tuple(found)


#: Every event model Convene publishes: each class with an `event_type` in contracts/events/.
EVENT_MODELS: tuple[type[IntegrationEvent], ...] = _models_in(
    identity, directory, feedback, content
)

DLQ_SUFFIX = ".dlq"
PUBLIC_TOPIC_PREFIX = "public."


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


def public_specs() -> list[EventSpec]:
    """Every public event type's spec, sorted by event type."""
    return sorted(
        (spec for spec in REGISTRY.values() if spec.public), key=lambda spec: spec.event_type
    )


def public_topics() -> list[str]:
    """The topics of the public events (each `public.<service>.<aggregate>.v<N>`), sorted."""
    return sorted({spec.topic for spec in public_specs()})


def is_public_topic(topic: str) -> bool:
    return topic.startswith(PUBLIC_TOPIC_PREFIX)


def owning_service(topic: str) -> str:
    """The service that publishes to `topic`: `identity` for both `identity.member.v1` and
    `public.identity.cohort.v1`."""
    return topic.removeprefix(PUBLIC_TOPIC_PREFIX).split(".", 1)[0]


def dead_letter_topic(topic: str) -> str:
    return topic + DLQ_SUFFIX

"""Public event types and the scopes that grant them. No I/O."""

from __future__ import annotations

from collections.abc import Iterable

from contracts.registry import REGISTRY
from services.subscriptions.domain.errors import NotInScope, UnknownEventTypes

#: A service account's scope for one public event type: `events:<event type>`.
SCOPE_PREFIX = "events:"


def public_event_types() -> frozenset[str]:
    return frozenset(spec.event_type for spec in REGISTRY.values() if spec.public)


def public_topics() -> list[str]:
    """Every topic carrying a public event, from the registry (wherever those topics live)."""
    return sorted({spec.topic for spec in REGISTRY.values() if spec.public})


def granted_types(scopes: Iterable[str]) -> frozenset[str]:
    """The public event types these scopes grant."""
    named = {s[len(SCOPE_PREFIX) :] for s in scopes if s.startswith(SCOPE_PREFIX)}
    return frozenset(named) & public_event_types()


def check_types(requested: Iterable[str], scopes: Iterable[str]) -> list[str]:
    """`requested` sorted and deduplicated; raises for unknown types, then for unscoped ones."""
    wanted = set(requested)
    unknown = sorted(wanted - public_event_types())
    if unknown:
        raise UnknownEventTypes(f"Not public event types: {', '.join(unknown)}.")
    missing = sorted(wanted - granted_types(scopes))
    if missing:
        raise NotInScope(
            f"Your token does not grant: {', '.join(missing)}. Ask for the scopes "
            + ", ".join(SCOPE_PREFIX + t for t in missing)
            + "."
        )
    return sorted(wanted)

"""Which scopes a service account may hold: one per public event type in the contracts.

Service accounts are other departments' machine clients. Their only role is
`department_subscriber`; their scopes name the public event types they may receive, and
every delivery path checks them.
"""

from __future__ import annotations

from collections.abc import Iterable

from contracts.registry import REGISTRY
from services.identity.domain.errors import UnknownScopes

#: Scope for receiving events of one public type: `events:<event type>`.
SCOPE_PREFIX = "events:"


def public_scopes() -> set[str]:
    """Every scope a service account may hold: one per public event type in the contracts."""
    return {SCOPE_PREFIX + spec.event_type for spec in REGISTRY.values() if spec.public}


def checked_scopes(scopes: Iterable[str]) -> list[str]:
    """The scopes, sorted and without repeats; raises UnknownScopes for any that is not public."""
    wanted = set(scopes)
    unknown = sorted(wanted - public_scopes())
    if unknown:
        raise UnknownScopes(
            f"Not public event scopes: {', '.join(unknown)}. Scopes look like "
            f"'{SCOPE_PREFIX}<public event type>'; see the event catalogue."
        )
    return sorted(wanted)

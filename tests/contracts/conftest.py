"""One valid example of every registered event, built from its JSON Schema by the same
builder that writes the catalogue's examples (`contracts/examples.py`).

New event types get an example for free. When the builder cannot satisfy a model (a `pattern`,
a cross-field validator), put a hand-written example in `HAND_WRITTEN` instead.
"""

from __future__ import annotations

from typing import Any

import pytest

from contracts.base import IntegrationEvent
from contracts.examples import example_for
from contracts.registry import REGISTRY

#: event_type -> data, for models the schema-driven builder cannot satisfy.
HAND_WRITTEN: dict[str, dict[str, Any]] = {}


@pytest.fixture(scope="session")
def example_events() -> dict[str, IntegrationEvent]:
    events: dict[str, IntegrationEvent] = {}
    for event_type, spec in REGISTRY.items():
        schema = spec.model.model_json_schema()
        data = HAND_WRITTEN.get(event_type) or example_for(schema)
        events[event_type] = spec.model.model_validate(data)
    return events

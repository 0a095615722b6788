"""Every public event type, from the registry, into the log. The chassis runs the inbox.

The topics follow from the registry (`EventConsumer.topics_for`), so wherever the contracts
put public events — their aggregates' topics or dedicated `public.*` topics — they arrive.
"""

from __future__ import annotations

from contracts import Envelope, IntegrationEvent
from services.chassis.consumer import Handler
from services.chassis.database import UnitOfWork
from services.subscriptions import handlers
from services.subscriptions.domain.commands import RecordPublicEvent
from services.subscriptions.domain.model import public_event_types


async def on_public_event(uow: UnitOfWork, _: IntegrationEvent, envelope: Envelope) -> None:
    command = RecordPublicEvent(
        event_id=envelope.id,
        event_type=envelope.type,
        source=envelope.source,
        subject=envelope.subject,
        time=envelope.time,
        data=envelope.data,
        traceparent=envelope.extra_headers.get("traceparent"),
    )
    await handlers.record_public_event(command, uow)


EVENT_HANDLERS: dict[str, Handler] = dict.fromkeys(sorted(public_event_types()), on_public_event)
